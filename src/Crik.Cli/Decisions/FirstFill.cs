using Crik.Cli.Records;

namespace Crik.Cli.Decisions;

/// <summary>The chunks a restore on crik's fill fills first, in order, by what chose them (a chunk is a pages image's number and its index there).</summary>
/// <param name="Touched">What the app touched first after its last restore.</param>
/// <param name="SmallAreas">Chunks of its smaller memory areas.</param>
/// <param name="Written">What it wrote since the previous checkpoint.</param>
internal sealed record FirstFillOrder(List<(int PagesId, int Index)> Touched, List<(int PagesId, int Index)> SmallAreas, List<(int PagesId, int Index)> Written);

/// <summary>
/// The order of a restore's first fill, for at most a budget of bytes read: the chunks the app touched first after its
/// last restore, in that order, when its checkpoint has a list of them; then the chunks of its smaller memory areas,
/// smallest area first; then, when there is no such list, the chunks it wrote since the previous checkpoint, in address
/// order, when some chunk was reused from an earlier one (in a first checkpoint every chunk is new, and says nothing).
/// <para>
/// The budget counts what the reads cost: a chunk of the packs once, whole, however many of its slices are chosen. Counting
/// each slice's own bytes let a fill of a checkpoint of scattered writes read several times its budget before the app ran.
/// </para>
/// <para>
/// The smaller areas before what the app wrote: a runtime keeps its own state (malloc's heap and arenas, thread stacks,
/// compiled code) in small areas that any request touches, and the app's bulk data in large ones, of which a request
/// touches a slice. What the app wrote lies mostly in its bulk data, and in address order the budget takes the written
/// pages of the lowest part of it only. On the Python bench app with 5 % of 2 GiB rewritten at random places, the first
/// request after a restore waited for about 15 pages, every one of them in an area of at most 8 MiB, while the first fill
/// held 32 MiB of written pages it did not touch.
/// </para>
/// </summary>
internal static class FirstFill
{
    /// <summary>The first fill's chunks, in order, by what chose them, reading at most <paramref name="limit"/> bytes.</summary>
    /// <param name="touched">
    /// The chunks holding lazy pages the app touched first after its last restore, in that order, each once; null when its
    /// checkpoint has no list of first touches (empty when it has one and none of it is lazy: then nothing it wrote is chosen either).
    /// </param>
    /// <param name="written">The chunks of lazy pages in the generation's own pack, in address order, each once.</param>
    /// <param name="anyReused">Whether some chunk of lazy pages was reused from an earlier checkpoint.</param>
    /// <param name="areas">The areas holding lazy pages, each with its size and its chunks of lazy pages (<see cref="SmallAreasFirst"/>).</param>
    public static FirstFillOrder Order(IReadOnlyList<FillChunk>? touched, IReadOnlyList<FillChunk> written, bool anyReused,
        IEnumerable<(long AreaBytes, IEnumerable<FillChunk> Chunks)> areas, long limit)
    {
        var budget = new ReadBudget(limit);
        List<(int PagesId, int Index)> first = budget.TakeWhileItFits(touched ?? []);
        List<(int PagesId, int Index)> small = SmallAreasFirst(areas, budget);
        List<(int PagesId, int Index)> then = touched is null && anyReused ? budget.TakeWhileItFits(written) : [];
        return new FirstFillOrder(first, small, then);
    }

    /// <summary>
    /// The chunks to fill first: the areas smallest first (the given order among equals), each area's chunks in their order,
    /// each chunk once (at the smallest area that holds it, which comes first), while <paramref name="budget"/> lasts. An area
    /// larger than the whole budget is bulk data, none of whose chunks is chosen: reading a slice of it would only slow the
    /// restore. Only the areas are sorted; their chunks are listed no further than the budget reaches (an app with 2 GiB in
    /// small areas has hundreds of thousands of them after scattered writes: sorted, they cost 60 ms before the app ran).
    /// </summary>
    /// <param name="areas">The areas holding lazy pages, each with its size and its chunks of lazy pages, in address order.</param>
    /// <param name="budget">What is left to read, and what was chosen already (not chosen again).</param>
    public static List<(int PagesId, int Index)> SmallAreasFirst(IEnumerable<(long AreaBytes, IEnumerable<FillChunk> Chunks)> areas, ReadBudget budget) =>
        budget.TakeWhileItFits(areas.Where(a => a.AreaBytes <= budget.Limit).OrderBy(a => a.AreaBytes).SelectMany(a => a.Chunks));
}

/// <summary>
/// What a first fill may still read: each chunk of the packs counts once, whole, against the limit, the first time a slice
/// of it is chosen; a slice of a chunk chosen already costs nothing. Remembers what was chosen, so that nothing is chosen twice.
/// </summary>
internal sealed class ReadBudget(long limit)
{
    private readonly HashSet<(int PagesId, int Index)> _chosen = [];
    private readonly HashSet<(long Pack, long Offset)> _read = [];

    private long _spent;

    public long Limit => limit;

    /// <summary>The chunks from the start of <paramref name="chunks"/> not chosen before, until the first that does not fit.</summary>
    public List<(int PagesId, int Index)> TakeWhileItFits(IEnumerable<FillChunk> chunks)
    {
        var taken = new List<(int PagesId, int Index)>();
        foreach (FillChunk chunk in chunks)
        {
            if (_chosen.Contains(chunk.Chunk))
            {
                continue;
            }
            bool read = _read.Contains(chunk.Whole);
            if (!read && _spent + chunk.WholeBytes > limit)
            {
                break;
            }
            if (!read)
            {
                _read.Add(chunk.Whole);
                _spent += chunk.WholeBytes;
            }
            _chosen.Add(chunk.Chunk);
            taken.Add(chunk.Chunk);
        }
        return taken;
    }
}
