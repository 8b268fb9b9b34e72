using Crik.Cli.Chunks;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// The chunks of a pages image put together from the dump's and the previous checkpoint's, as slices of them where a run
/// begins or ends inside a chunk: nothing is read, nothing is named anew. Slices of one chunk that follow one another
/// are one slice (or the whole chunk again).
/// </summary>
internal static class SlicedPages
{
    /// <param name="runs">Where each page comes from, in the image's order (<see cref="UnwrittenLayout"/>).</param>
    /// <param name="dumped">The dump's chunks of its pages image.</param>
    /// <param name="previous">The previous checkpoint's chunks of its pages image of the process.</param>
    /// <param name="pack">The new generation's pack, which the previous checkpoint's chunks must be reusable by.</param>
    public static (List<ChunkRef> Chunks, long Size) Of(IEnumerable<LaidOutRun> runs, IReadOnlyList<ChunkRef> dumped, IReadOnlyList<ChunkRef> previous,
        PackWriter pack)
    {
        var fromDump = new ChunkStarts(dumped);
        var fromPrevious = new ChunkStarts(previous);
        var reused = new Dictionary<string, ChunkRef>(StringComparer.Ordinal);
        var chunks = new List<ChunkRef>();
        long size = 0;
        foreach (LaidOutRun run in runs)
        {
            ChunkStarts source = run.FromDump ? fromDump : fromPrevious;
            long end = run.Offset + run.Bytes;
            if (end > source.ImageBytes)
            {
                throw new InvalidDataException($"the run at 0x{run.Address:x} ends past its pages image ({end} > {source.ImageBytes} bytes)");
            }
            for (long at = run.Offset; at < end;)
            {
                int index = source.IndexOf(at);
                long upTo = Math.Min(end, source.EndOf(index));
                ChunkRef piece = run.FromDump ? source[index] : Reused(source[index], pack, reused);
                Append(chunks, piece.Slice((int)(at - source.StartOf(index)), (int)(upTo - at)));
                size += upTo - at;
                at = upTo;
            }
        }
        return (chunks, size);
    }

    /// <summary>A piece of the previous checkpoint, as the new generation's pack may refer to its chunk; throws when it may not.</summary>
    private static ChunkRef Reused(ChunkRef piece, PackWriter pack, Dictionary<string, ChunkRef> reused)
    {
        if (!reused.TryGetValue(piece.Id, out ChunkRef? stored))
        {
            stored = pack.Reuse(piece.Id, piece.WholeSize)
                ?? throw new InvalidDataException($"chunk {piece.Id[..Math.Min(12, piece.Id.Length)]} of the previous checkpoint may not be reused");
            reused[piece.Id] = stored;
        }
        return piece.IsSlice ? stored.Whole() with { From = piece.From, Take = piece.Take } : stored.Whole();
    }

    private static void Append(List<ChunkRef> chunks, ChunkRef next)
    {
        if (chunks.Count > 0 && chunks[^1] is { } last && last.Id == next.Id && last.Pack == next.Pack && last.Offset == next.Offset
            && (last.From ?? 0) + last.Size == (next.From ?? 0))
        {
            chunks[^1] = last.Whole().Slice(last.From ?? 0, last.Size + next.Size);
            return;
        }
        chunks.Add(next);
    }
}
