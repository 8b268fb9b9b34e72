using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Records;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// How much of the previous checkpoint's pages the app's writes since cut into: the bytes of its chunks that hold a
/// written page. A dump of only what was written reads, and names anew, those chunks whole, as a dump of everything reads
/// all of them.
/// </summary>
internal static class TouchedChunks
{
    /// <param name="previousPagemaps">The previous checkpoint's pagemaps, by PID.</param>
    /// <param name="previousPages">Its pages images' chunks, by name.</param>
    /// <param name="written">What each tracked process wrote since, by PID.</param>
    /// <returns>The bytes of the chunks that hold a written page, and of all the chunks of the processes' pages images.</returns>
    public static (long Touched, long Total) Of(IReadOnlyDictionary<int, PagemapImage> previousPagemaps,
        IReadOnlyDictionary<string, IReadOnlyList<ChunkRef>> previousPages, IReadOnlyDictionary<int, List<AddressRange>> written)
    {
        long touched = 0, total = 0;
        foreach ((int pid, PagemapImage pagemap) in previousPagemaps)
        {
            if (!previousPages.TryGetValue(pagemap.PagesName, out IReadOnlyList<ChunkRef>? chunks))
            {
                continue;
            }
            var starts = new ChunkStarts(chunks);
            total += starts.ImageBytes;
            if (!written.TryGetValue(pid, out List<AddressRange>? ranges))
            {
                touched += starts.ImageBytes; // untracked: read whole either way
                continue;
            }
            var hit = new HashSet<int>();
            List<LaidOutRun> runs = UnwrittenLayout.Runs(pagemap, pid);
            foreach (AddressRange range in ranges)
            {
                for (int i = UnwrittenLayout.FirstEndingAfter(runs, range.Start); i < runs.Count && runs[i].Address < range.End; i++)
                {
                    ulong from = Math.Max(range.Start, runs[i].Address), to = Math.Min(range.End, runs[i].End);
                    long first = runs[i].Offset + (long)(from - runs[i].Address), last = runs[i].Offset + (long)(to - runs[i].Address) - 1;
                    for (int chunk = starts.IndexOf(first); chunk <= starts.IndexOf(last); chunk++)
                    {
                        if (hit.Add(chunk))
                        {
                            touched += chunks[chunk].Size;
                        }
                    }
                }
            }
        }
        return (touched, total);
    }
}
