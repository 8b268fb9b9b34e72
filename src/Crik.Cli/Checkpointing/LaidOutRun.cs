using Crik.Cli.Criu;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// A run of one process's pages in the images of a checkpoint made whole from two sources: as the dump has them
/// (<see cref="FromDump"/>, <see cref="Offset"/> in the dump's pages image), or as an earlier checkpoint has them (the
/// one restored from, while its memory arrives; the previous one, for pages not written since), <see cref="Offset"/>
/// in that one's pages image.
/// </summary>
internal readonly record struct LaidOutRun(ulong Address, long Pages, long Offset, bool FromDump, uint Flags)
{
    public ulong End => Address + (ulong)(Pages * ImagePage.Bytes);

    public long Bytes => Pages * ImagePage.Bytes;

    /// <summary>
    /// Every run of a whole pagemap (each entry present, none in a parent), each at its offset in its pages image; throws
    /// when <paramref name="image"/> is not whole or not in address order (<paramref name="whose"/> names it).
    /// </summary>
    public static List<LaidOutRun> AllOf(PagemapImage image, bool fromDump, string whose)
    {
        var runs = new List<LaidOutRun>(image.Entries.Count);
        long offset = 0;
        foreach (PagemapEntry entry in image.Entries)
        {
            if (!entry.IsPresent || entry.IsInParent)
            {
                throw new InvalidDataException($"{whose} has an entry at 0x{entry.Address:x} with flags {entry.Flags}: crik combines only pages an image holds");
            }
            var run = new LaidOutRun(entry.Address, checked((long)entry.Pages), offset, fromDump, entry.Flags);
            if (runs.Count > 0 && run.Address < runs[^1].End)
            {
                throw new InvalidDataException($"{whose} is not in address order at 0x{entry.Address:x}");
            }
            runs.Add(run);
            offset += run.Bytes;
        }
        return runs;
    }
}
