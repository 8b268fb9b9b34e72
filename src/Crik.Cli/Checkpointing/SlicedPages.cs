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
/// <param name="previousResolved">The previous pieces are already as <paramref name="pack"/> refers to them (<see cref="SplicedLayer"/>):
/// each is taken as it is, and none is looked up again.</param>
internal sealed class SlicedPages(IReadOnlyList<ChunkRef> dumped, IReadOnlyList<ChunkRef> previous, PackWriter pack, bool previousResolved = false)
    : ISpliceSources
{
    private readonly ChunkStarts _dumped = new(dumped);
    private readonly ChunkStarts _previous = new(previous);
    private readonly Dictionary<string, ChunkRef> _reused = new(StringComparer.Ordinal);
    private (ChunkRef? Piece, ChunkRef Whole) _lastReused = (null, null!);

    public ChunkStarts ImageOf(LaidOutRun run) => run.FromDump ? _dumped : _previous;

    public void Take(LaidOutRun run, int index, long at, int length, List<ChunkRef> into)
    {
        ChunkStarts image = ImageOf(run);
        ChunkRef piece = image[index];
        long within = at - image.StartOf(index);
        piece.CheckHolds(within, length);
        // One record a piece: a scattered dump makes tens of thousands, and each made anew on the way took a 2 GiB app's
        // SIGTERM checkpoint several milliseconds of allocating and collecting.
        Append(into, run.FromDump || previousResolved ? piece : ReusedWhole(piece), (piece.From ?? 0) + (int)within, length);
    }

    public void Finish(List<ChunkRef> into)
    {
    }

    /// <summary>The chunk of a piece of the previous checkpoint, as the new generation's pack may refer to it; throws when it may not.</summary>
    private ChunkRef ReusedWhole(ChunkRef piece)
    {
        if (ReferenceEquals(piece, _lastReused.Piece))
        {
            return _lastReused.Whole; // the same piece again, either side of a page the app wrote: no name to look up
        }
        if (piece.Pack == pack.Generation)
        {
            return piece.Whole(); // this generation's own (crik's copy of what the app wrote while it ran)
        }
        if (!_reused.TryGetValue(piece.Id, out ChunkRef? stored))
        {
            stored = pack.Reuse(piece.Id, piece.WholeSize)?.Whole()
                ?? throw new InvalidDataException($"chunk {piece.ShortId} of the previous checkpoint may not be reused");
            _reused[piece.Id] = stored;
        }
        _lastReused = (piece, stored);
        return stored;
    }

    /// <summary>
    /// Bytes <paramref name="from"/> to <paramref name="from"/> + <paramref name="take"/> of the chunk <paramref name="piece"/> is
    /// of, one slice with the last when they follow it.
    /// </summary>
    private static void Append(List<ChunkRef> chunks, ChunkRef piece, int from, int take)
    {
        if (chunks.Count > 0 && chunks[^1] is { } last && last.Id == piece.Id && last.Pack == piece.Pack && last.Offset == piece.Offset
            && (last.From ?? 0) + last.Size == from)
        {
            chunks[^1] = last.Part(last.From ?? 0, last.Size + take);
            return;
        }
        chunks.Add(piece.Part(from, take));
    }
}
