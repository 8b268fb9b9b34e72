using Crik.Cli.Chunks;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// The one engine that puts a process's pages image together from two (the dump's and an earlier checkpoint's): it walks the
/// runs (<see cref="LaidOutRun"/>) in the image's order and hands each piece of a chunk a run covers to its
/// <see cref="ISpliceSources"/>, which says what the new image lists for it.
/// </summary>
internal static class PageSplice
{
    /// <param name="runs">Where each page comes from, in the image's order.</param>
    public static (List<ChunkRef> Chunks, long Size) Of(IEnumerable<LaidOutRun> runs, ISpliceSources sources)
    {
        // About two pieces a run when the app wrote pages here and there: one list, not one copied larger again and again.
        var chunks = new List<ChunkRef>(runs.TryGetNonEnumeratedCount(out int count) ? 2 * count : 0);
        foreach (LaidOutRun run in runs)
        {
            ChunkStarts image = sources.ImageOf(run);
            long end = run.Offset + run.Bytes;
            if (end > image.ImageBytes)
            {
                throw new InvalidDataException($"the run at 0x{run.Address:x} ends past its pages image ({end} > {image.ImageBytes} bytes)");
            }
            for (long at = run.Offset; at < end;)
            {
                int index = image.IndexOf(at);
                long upTo = Math.Min(end, image.EndOf(index));
                sources.Take(run, index, at, (int)(upTo - at), chunks);
                at = upTo;
            }
        }
        sources.Finish(chunks);
        return (chunks, chunks.Sum(c => (long)c.Size));
    }
}
