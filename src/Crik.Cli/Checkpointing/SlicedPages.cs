using Crik.Cli.Chunks;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// The dump's and the previous checkpoint's chunks, as <see cref="PageSplice"/> takes them for a dump that holds only what the
/// app wrote: by reference, slices of them where a run begins or ends inside a chunk; nothing is read, nothing is named anew.
/// Slices of one chunk that follow one another are one slice (or the whole chunk again).
/// </summary>
/// <param name="dumped">The dump's chunks of its pages image.</param>
/// <param name="previous">The previous checkpoint's chunks of its pages image of the process.</param>
/// <param name="pack">The new generation's pack, which the previous checkpoint's chunks must be reusable by.</param>
internal sealed class SlicedPages(IReadOnlyList<ChunkRef> dumped, IReadOnlyList<ChunkRef> previous, PackWriter pack) : ISpliceSources
{
    private readonly ChunkStarts _dumped = new(dumped);
    private readonly ChunkStarts _previous = new(previous);
    private readonly Dictionary<string, ChunkRef> _reused = new(StringComparer.Ordinal);

    public ChunkStarts ImageOf(LaidOutRun run) => run.FromDump ? _dumped : _previous;

    public void Take(LaidOutRun run, int index, long at, int length, List<ChunkRef> into)
    {
        ChunkStarts image = ImageOf(run);
        ChunkRef piece = run.FromDump ? image[index] : Reused(image[index]);
        Append(into, piece.Slice((int)(at - image.StartOf(index)), length));
    }

    public void Finish(List<ChunkRef> into)
    {
    }

    /// <summary>A piece of the previous checkpoint, as the new generation's pack may refer to its chunk; throws when it may not.</summary>
    private ChunkRef Reused(ChunkRef piece)
    {
        if (piece.Pack == pack.Generation)
        {
            return piece; // this generation's own (crik's copy of what the app wrote while it ran)
        }
        if (!_reused.TryGetValue(piece.Id, out ChunkRef? stored))
        {
            stored = pack.Reuse(piece.Id, piece.WholeSize)
                ?? throw new InvalidDataException($"chunk {piece.Id[..Math.Min(12, piece.Id.Length)]} of the previous checkpoint may not be reused");
            _reused[piece.Id] = stored;
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
