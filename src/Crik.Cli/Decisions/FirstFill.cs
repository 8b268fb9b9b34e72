namespace Crik.Cli.Decisions;

/// <summary>
/// What a lazy restore fills first when nothing says what the app touches first, and after what does, within the
/// budget left (copied in before the app asks, those pages never fault, so no later list of first touches names
/// them): no list of its first touches
/// (the checkpoint came from an eager restore or a fresh start) and nothing it wrote since an earlier checkpoint
/// (it is the first). Then the chunks of its smaller memory areas come first, smallest area first. A runtime keeps
/// its own state (malloc's heap and arenas, thread stacks, compiled code) in small areas that any request
/// touches, and the app's bulk data in large ones, of which a request touches a slice. On the Python bench app, the
/// first request after a restore waited for 14 pages, every one of them in an area of at most 8 MiB.
/// </summary>
internal static class FirstFill
{
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
