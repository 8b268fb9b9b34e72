namespace Crik.Cli.Decisions;

/// <summary>The chunks a restore on crik's fill fills first, in order, by what chose them (a chunk is a pages image's number and its index there).</summary>
/// <param name="Touched">What the app touched first after its last restore.</param>
/// <param name="Written">What it wrote since the previous checkpoint.</param>
/// <param name="SmallAreas">Chunks of its smaller memory areas.</param>
internal sealed record FirstFillOrder(List<(int PagesId, int Index)> Touched, List<(int PagesId, int Index)> Written, List<(int PagesId, int Index)> SmallAreas);

/// <summary>
/// The order of a restore's first fill, for at most a budget of bytes: the chunks the app touched first after its last
/// restore, in that order, when its checkpoint has a list of them; else the chunks it wrote since the previous checkpoint,
/// in address order, when some chunk was reused from an earlier one (in a first checkpoint every chunk is new, and says
/// nothing). Then the chunks of its smaller memory areas within the budget left.
/// <para>
/// The smaller areas: what a lazy restore fills first when nothing says what the app touches first, and after what does, within the
/// budget left (copied in before the app asks, those pages never fault, so no later list of first touches names
/// them): no list of its first touches
/// (the checkpoint came from an eager restore or a fresh start) and nothing it wrote since an earlier checkpoint
/// (it is the first). Then the chunks of its smaller memory areas come first, smallest area first. A runtime keeps
/// its own state (malloc's heap and arenas, thread stacks, compiled code) in small areas that any request
/// touches, and the app's bulk data in large ones, of which a request touches a slice. On the Python bench app, the
/// first request after a restore waited for 14 pages, every one of them in an area of at most 8 MiB.
/// </para>
/// </summary>
internal static class FirstFill
{
    /// <summary>The first fill's chunks, in order, by what chose them, for at most <paramref name="limit"/> bytes.</summary>
    /// <param name="touched">
    /// The chunks holding lazy pages the app touched first after its last restore, in that order, each once, with its size;
    /// null when its checkpoint has no list of first touches (empty when it has one and none of it is lazy: then nothing it wrote is chosen either).
    /// </param>
    /// <param name="written">The chunks of lazy pages in the generation's own pack, in address order, each once, with its size.</param>
    /// <param name="anyReused">Whether some chunk of lazy pages was reused from an earlier checkpoint.</param>
    /// <param name="areas">Each chunk of lazy pages, with the size of an area it holds lazy pages of and its own size (<see cref="SmallAreasFirst"/>).</param>
    public static FirstFillOrder Order(IReadOnlyList<((int PagesId, int Index) Chunk, long Bytes)>? touched, IReadOnlyList<((int PagesId, int Index) Chunk, long Bytes)> written,
        bool anyReused, IEnumerable<((int PagesId, int Index) Chunk, long AreaBytes, long ChunkBytes)> areas, long limit)
    {
        (List<(int PagesId, int Index)> first, long firstBytes) = Within(touched ?? [], limit);
        (List<(int PagesId, int Index)> then, long thenBytes) = touched is null && anyReused ? Within(written, limit) : ([], 0);
        long chosenBytes = firstBytes + thenBytes;
        List<(int PagesId, int Index)> small = chosenBytes < limit ? SmallAreasFirst(areas, limit, first.Concat(then).ToHashSet(), chosenBytes) : [];
        return new FirstFillOrder(first, then, small);
    }

    /// <summary>The chunks from the start of <paramref name="chunks"/> that fit in <paramref name="limit"/> bytes together, and their bytes.</summary>
    private static (List<(int PagesId, int Index)> Chunks, long Bytes) Within(IReadOnlyList<((int PagesId, int Index) Chunk, long Bytes)> chunks, long limit)
    {
        var chosen = new List<(int PagesId, int Index)>();
        long bytes = 0;
        foreach (((int, int) chunk, long size) in chunks)
        {
            if (bytes + size > limit)
            {
                break;
            }
            bytes += size;
            chosen.Add(chunk);
        }
        return (chosen, bytes);
    }

    /// <summary>
    /// The chunks to fill first: each chunk once, at the place of the smallest area it holds lazy pages of, smaller
    /// areas first (the given order among equals), for at most <paramref name="limit"/> bytes. An area larger than
    /// the limit is bulk data, none of whose chunks is chosen: reading a slice of it would only slow the restore.
    /// </summary>
    /// <param name="chunks">Each chunk of lazy pages, with the size of an area it holds lazy pages of and its own size.</param>
    /// <param name="chosen">Chunks to fill first already (what the app touched or wrote first): not chosen again.</param>
    /// <param name="chosenBytes">Their bytes, which count against <paramref name="limit"/>: the smaller areas get what is left.</param>
    public static List<(int PagesId, int Index)> SmallAreasFirst(IEnumerable<((int PagesId, int Index) Chunk, long AreaBytes, long ChunkBytes)> chunks, long limit,
        IReadOnlySet<(int PagesId, int Index)>? chosen = null, long chosenBytes = 0)
    {
        var smallest = new Dictionary<(int PagesId, int Index), (long AreaBytes, long ChunkBytes, int Seen)>();
        int seen = 0;
        foreach (((int, int) chunk, long areaBytes, long chunkBytes) in chunks)
        {
            if (!smallest.TryGetValue(chunk, out var known))
            {
                smallest[chunk] = (areaBytes, chunkBytes, seen++);
            }
            else if (areaBytes < known.AreaBytes)
            {
                smallest[chunk] = known with { AreaBytes = areaBytes };
            }
        }
        var first = new List<(int PagesId, int Index)>();
        long bytes = chosenBytes;
        foreach (var chunk in smallest.Where(c => c.Value.AreaBytes <= limit && chosen?.Contains(c.Key) != true).OrderBy(c => c.Value.AreaBytes).ThenBy(c => c.Value.Seen))
        {
            if ((bytes += chunk.Value.ChunkBytes) > limit)
            {
                break;
            }
            first.Add(chunk.Key);
        }
        return first;
    }
}
