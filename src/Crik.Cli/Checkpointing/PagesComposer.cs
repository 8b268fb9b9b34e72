using Crik.Cli.Chunks;
using Crik.Cli.Streaming;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// Puts together the chunks of one pages image from two: the dump's and the one of the checkpoint restored.
/// A chunk that lies whole within a run is listed as it is, without reading it (the restored checkpoint's only
/// when the store may reuse it); the pieces of chunks cut by a run's ends are read (the dump's from the stopped
/// process, whose memory is as the dump saw it; the restored checkpoint's from the store, by
/// <see cref="RestoredChunkReader"/>) and stored as new chunks (<see cref="PiecesToCut"/>).
/// </summary>
internal sealed class PagesComposer : IDisposable
{
    private readonly PackWriter _pack;
    private readonly ChunkStarts _dumped;
    private readonly RestoredChunkReader _restored;
    private readonly IPageSources _sources;
    private readonly PiecesToCut _pieces;
    private readonly List<ChunkRef> _chunks = [];

    /// <param name="chunker">Cuts and stores the pieces read, as the dump's images are.</param>
    /// <param name="dumped">The dump's chunks of the image.</param>
    /// <param name="restored">The restored checkpoint's chunks of the image.</param>
    /// <param name="sources">Reads the process's memory, and the restored checkpoint's chunks from the store.</param>
    public PagesComposer(PackWriter pack, ImageChunker chunker, IReadOnlyList<ChunkRef> dumped, IReadOnlyList<ChunkRef> restored, IPageSources sources)
    {
        _pack = pack;
        _dumped = new ChunkStarts(dumped);
        _restored = new RestoredChunkReader(new ChunkStarts(restored), sources);
        _sources = sources;
        _pieces = new PiecesToCut(chunker);
    }

    /// <summary>The bytes of the restored checkpoint's chunks read from the store for those pieces (whole chunks, as they are checked).</summary>
    public long StoreReadBytes => _restored.StoreReadBytes;

    /// <summary>Adds one run's bytes, in the image's order.</summary>
    public void Add(LaidOutRun run)
    {
        ChunkStarts chunks = run.FromDump ? _dumped : _restored.Chunks;
        long end = run.Offset + run.Bytes;
        if (end > chunks.ImageBytes)
        {
            throw new InvalidDataException($"the run at 0x{run.Address:x} ends past its pages image ({end} > {chunks.ImageBytes} bytes)");
        }
        for (long at = run.Offset; at < end;)
        {
            int index = chunks.IndexOf(at);
            long chunkEnd = chunks.EndOf(index);
            if (chunks.StartOf(index) == at && chunkEnd <= end && (run.FromDump ? chunks[index] : _pack.Reuse(chunks[index].Id, chunks[index].Size)) is { } whole)
            {
                _pieces.StoreInto(_chunks);
                _chunks.Add(whole);
                at = chunkEnd;
                continue;
            }
            long pieceEnd = Math.Min(end, chunkEnd);
            Read(run, index, at, (int)(pieceEnd - at));
            at = pieceEnd;
        }
    }

    /// <summary>The image's chunks, in order, once every run is added.</summary>
    public (List<ChunkRef> Chunks, long Size) Finish()
    {
        _pieces.StoreInto(_chunks);
        return (_chunks, _chunks.Sum(c => (long)c.Size));
    }

    public void Dispose()
    {
        _pieces.Dispose();
        _restored.Dispose();
    }

    /// <summary>Reads <paramref name="length"/> bytes from <paramref name="at"/> in the run's image, all within its chunk <paramref name="index"/>.</summary>
    private void Read(LaidOutRun run, int index, long at, int length)
    {
        while (length > 0)
        {
            Span<byte> into = _pieces.Room(length, _chunks);
            if (run.FromDump)
            {
                _sources.ReadMemory(run.Address + (ulong)(at - run.Offset), into);
            }
            else
            {
                _restored.Piece(index, at, into.Length).CopyTo(into);
            }
            _pieces.Filled(into.Length);
            at += into.Length;
            length -= into.Length;
        }
    }
}
