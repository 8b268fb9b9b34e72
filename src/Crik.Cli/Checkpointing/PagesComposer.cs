using Crik.Cli.Chunks;
using Crik.Cli.Streaming;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// The dump's chunks and those of the checkpoint restored, as <see cref="PageSplice"/> takes them for a checkpoint taken while
/// the app's memory arrives. A chunk that lies whole within a run is listed as it is, without reading it (the restored
/// checkpoint's only when the store may reuse it); the pieces of chunks cut by a run's ends are read (the dump's from the
/// stopped process, whose memory is as the dump saw it; the restored checkpoint's from the store, by
/// <see cref="RestoredChunkReader"/>) and stored as new chunks (<see cref="PiecesToCut"/>), never sliced as
/// <see cref="SlicedPages"/> does: the checkpoint restored may hold chunks the store may not reuse (written with another key,
/// of a generation set aside, in a pack gone), which are read and stored anew rather than the checkpoint refused, and pieces
/// cut by content make older chunks again where the pages are unchanged.
/// </summary>
internal sealed class PagesComposer : ISpliceSources, IDisposable
{
    private readonly PackWriter _pack;
    private readonly ChunkStarts _dumped;
    private readonly RestoredChunkReader _restored;
    private readonly IPageSources _sources;
    private readonly PiecesToCut _pieces;

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

    public ChunkStarts ImageOf(LaidOutRun run) => run.FromDump ? _dumped : _restored.Chunks;

    public void Take(LaidOutRun run, int index, long at, int length, List<ChunkRef> into)
    {
        ChunkStarts image = ImageOf(run);
        ChunkRef chunk = image[index];
        if (image.StartOf(index) == at && length == chunk.Size && (run.FromDump ? chunk : _pack.Reuse(chunk.Id, chunk.Size)) is { } whole)
        {
            _pieces.StoreInto(into);
            into.Add(whole);
            return;
        }
        Read(run, index, at, length, into);
    }

    public void Finish(List<ChunkRef> into) => _pieces.StoreInto(into);

    public void Dispose()
    {
        _pieces.Dispose();
        _restored.Dispose();
    }

    /// <summary>Reads <paramref name="length"/> bytes from <paramref name="at"/> in the run's image, all within its chunk <paramref name="index"/>.</summary>
    private void Read(LaidOutRun run, int index, long at, int length, List<ChunkRef> into)
    {
        while (length > 0)
        {
            Span<byte> room = _pieces.Room(length, into);
            if (run.FromDump)
            {
                _sources.ReadMemory(run.Address + (ulong)(at - run.Offset), room);
            }
            else
            {
                _restored.Piece(index, at, room.Length).CopyTo(room);
            }
            _pieces.Filled(room.Length);
            at += room.Length;
            length -= room.Length;
        }
    }
}
