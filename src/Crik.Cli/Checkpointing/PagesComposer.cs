using System.Buffers;
using Crik.Cli.Chunks;
using Crik.Cli.Model;
using Crik.Cli.Streaming;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// Puts together the chunks of one pages image from two: the dump's (<paramref name="dumped"/>) and the
/// one of the checkpoint restored (<paramref name="restored"/>). A chunk that lies whole within a run is
/// listed as it is, without reading it (the restored checkpoint's only when the store may reuse it); the
/// pieces of chunks cut by a run's ends are read (the dump's from the stopped process, whose memory is as
/// the dump saw it; the restored checkpoint's from the store, each chunk once for the pieces cut from it
/// in a row) and stored as new chunks.
/// </summary>
/// <param name="chunker">Cuts and stores the pieces read, as the dump's images are.</param>
/// <param name="readDumped">Reads the process's memory at an address.</param>
/// <param name="readRestored">Reads one whole chunk of the restored checkpoint's pages image, by its index, from the store.</param>
internal sealed class PagesComposer(PackWriter pack, ImageChunker chunker, IReadOnlyList<ChunkRef> dumped, IReadOnlyList<ChunkRef> restored,
    Action<ulong, Span<byte>> readDumped, Func<int, byte[]> readRestored) : IDisposable
{
    private readonly long[] _dumpedStarts = Starts(dumped);
    private readonly long[] _restoredStarts = Starts(restored);
    private readonly List<ChunkRef> _chunks = [];
    private readonly byte[] _pieces = ArrayPool<byte>.Shared.Rent(PageChunker.MaxBytes);
    private int _filled;

    /// <summary>
    /// The restored chunk read last. The pieces cut from one chunk come in a row (runs are added in the
    /// image's order): one a flush splits, or one two runs share, is read from the store once.
    /// </summary>
    private (int Index, byte[] Bytes)? _lastRestored;

    /// <summary>Bytes read to cut chunks (the rest was listed as it was).</summary>
    public long ReadBytes { get; private set; }

    /// <summary>The bytes of the restored checkpoint's chunks read from the store for those pieces (whole chunks, as they are checked).</summary>
    public long StoreReadBytes { get; private set; }

    /// <summary>Adds one run's bytes, in the image's order.</summary>
    public void Add(LaidOutRun run)
    {
        (IReadOnlyList<ChunkRef> chunks, long[] starts) = run.FromDump ? (dumped, _dumpedStarts) : (restored, _restoredStarts);
        long end = run.Offset + run.Bytes;
        if (end > starts[^1])
        {
            throw new InvalidDataException($"the run at 0x{run.Address:x} ends past its pages image ({end} > {starts[^1]} bytes)");
        }
        for (long at = run.Offset; at < end;)
        {
            int index = Index(starts, at);
            long chunkEnd = starts[index] + chunks[index].Size;
            if (starts[index] == at && chunkEnd <= end && (run.FromDump ? chunks[index] : pack.Reuse(chunks[index].Id, chunks[index].Size)) is { } whole)
            {
                Flush();
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
        Flush();
        return (_chunks, _chunks.Sum(c => (long)c.Size));
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_pieces);
        if (_lastRestored is { } last)
        {
            Array.Clear(last.Bytes);
        }
    }

    /// <summary>Reads <paramref name="length"/> bytes from <paramref name="at"/> in the run's image, all within its chunk <paramref name="index"/>.</summary>
    private void Read(LaidOutRun run, int index, long at, int length)
    {
        while (length > 0)
        {
            if (_filled == PageChunker.MaxBytes)
            {
                Flush();
            }
            int part = Math.Min(length, PageChunker.MaxBytes - _filled);
            Span<byte> into = _pieces.AsSpan(_filled, part);
            if (run.FromDump)
            {
                readDumped(run.Address + (ulong)(at - run.Offset), into);
            }
            else
            {
                RestoredChunk(index).AsSpan((int)(at - _restoredStarts[index]), part).CopyTo(into);
            }
            _filled += part;
            ReadBytes += part;
            at += part;
            length -= part;
        }
    }

    /// <summary>Stores the pieces read so far, cut where their content says (so that pages unchanged since an older checkpoint make its chunks again, stored once).</summary>
    private void Flush()
    {
        if (_filled == 0)
        {
            return;
        }
        using (var pieces = new MemoryStream(_pieces, 0, _filled, writable: false))
        {
            ManifestFile stored = chunker.Take("the pieces of a pages image", pieces);
            _chunks.AddRange(stored.Chunks ?? []);
        }
        _filled = 0;
    }

    /// <summary>The restored checkpoint's chunk <paramref name="index"/>, read from the store unless it is the one read last.</summary>
    private byte[] RestoredChunk(int index)
    {
        if (_lastRestored is { } last && last.Index == index)
        {
            return last.Bytes;
        }
        if (_lastRestored is { } previous)
        {
            Array.Clear(previous.Bytes);
        }
        byte[] bytes = readRestored(index);
        _lastRestored = (index, bytes);
        StoreReadBytes += bytes.Length;
        return bytes;
    }

    private static int Index(long[] starts, long offset)
    {
        int index = Array.BinarySearch(starts, offset);
        return index < 0 ? ~index - 1 : index;
    }

    private static long[] Starts(IReadOnlyList<ChunkRef> chunks)
    {
        var starts = new long[chunks.Count + 1];
        for (int i = 0; i < chunks.Count; i++)
        {
            starts[i + 1] = starts[i] + chunks[i].Size;
        }
        return starts;
    }
}
