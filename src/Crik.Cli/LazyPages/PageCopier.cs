using System.Diagnostics;
using Crik.Cli.Criu;
using Crik.Cli.Interop;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Copies a chunk's pages into a process that misses them, one copy (UFFDIO_COPY) per run of missing pages,
/// and counts the bytes copied and the time it took. Safe from several threads (each copy within <see cref="LazyTask.Fill"/>, under the task's lock).
/// </summary>
internal sealed class PageCopier
{
    private long _copied, _copyingTicks;

    public long CopiedBytes => Interlocked.Read(ref _copied);

    /// <summary>The time spent copying, added up over the threads.</summary>
    public TimeSpan CopyingTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _copyingTicks));

    /// <summary>One copy per run of missing pages; within <see cref="LazyTask.Fill"/>, under the task's lock.</summary>
    public unsafe FillResult CopyMissing(LazyTask task, byte[] bytes, long start, int length)
    {
        long end = start + length;
        long began = Stopwatch.GetTimestamp();
        try
        {
            foreach ((ulong from, ulong to) in task.HoldingBytes(start, end).Where(a => a.Missing > 0).Select(a => Addresses(a, start, end)).ToList())
            {
                task.SkipGuards(from, to);
            }
            fixed (byte* chunk = bytes)
            {
                foreach (LazyArea area in task.HoldingBytes(start, end).Where(a => a.Missing > 0))
                {
                    long from = Math.Max(0, (start - area.Offset + ImagePage.Bytes - 1) / ImagePage.Bytes);
                    long to = Math.Min(area.Pages, (end - area.Offset) / ImagePage.Bytes);
                    for ((long first, long count) = area.NextMissing(from, to, long.MaxValue); count > 0; (first, count) = area.NextMissing(first, to, long.MaxValue))
                    {
                        ulong address = area.Address + (ulong)(first * ImagePage.Bytes);
                        FillResult result = task.File.Copy(address, chunk + (area.Offset + (first * ImagePage.Bytes) - start), count * ImagePage.Bytes, out long copied);
                        long copiedPages = copied / ImagePage.Bytes;
                        Interlocked.Add(ref _copied, copiedPages * ImagePage.Bytes);
                        switch (result)
                        {
                            case FillResult.Done:
                                task.MarkDone(area, first, count);
                                break;
                            case FillResult.Exists:
                                // The page after those copied is there already (the app wrote it, or a fault's copy won): wake whoever waits on it.
                                task.MarkDone(area, first, copiedPages + 1);
                                task.File.Wake(address + (ulong)(copiedPages * ImagePage.Bytes), ImagePage.Bytes);
                                break;
                            case FillResult.Unmapped when count > 1:
                                // The run crosses a mapping the app split since (mprotect, mlock and the like send no event): page by page.
                                if (CopyPageByPage(task, area, chunk, start, first, count) is var byPage and not FillResult.Done)
                                {
                                    return byPage;
                                }
                                break;
                            case FillResult.Unmapped:
                                // Not there for this userfaultfd, though crik has it as still to fill: an unmap whose event is
                                // not read yet, or a page crik cannot place. Never counted as done: the caller reads the events and asks again.
                                return FillResult.Unmapped;
                            default:
                                task.MarkDone(area, first, copiedPages);
                                return result;
                        }
                    }
                }
            }
            return FillResult.Done;
        }
        finally
        {
            Interlocked.Add(ref _copyingTicks, Stopwatch.GetTimestamp() - began);
        }
    }

    /// <summary>The addresses of <paramref name="area"/> whose bytes lie in the chunk's [<paramref name="start"/>, <paramref name="end"/>).</summary>
    private static (ulong From, ulong To) Addresses(LazyArea area, long start, long end)
    {
        long first = Math.Max(0, (start - area.Offset + ImagePage.Bytes - 1) / ImagePage.Bytes);
        long last = Math.Min(area.Pages, (end - area.Offset) / ImagePage.Bytes);
        return (area.Address + (ulong)(first * ImagePage.Bytes), area.Address + (ulong)(Math.Max(first, last) * ImagePage.Bytes));
    }

    /// <summary>Copies a run one page at a time; stops at a page that is not there for the userfaultfd (<see cref="FillResult.Unmapped"/>).</summary>
    private unsafe FillResult CopyPageByPage(LazyTask task, LazyArea area, byte* chunk, long start, long first, long count)
    {
        for (long page = first; page < first + count; page++)
        {
            if (area.IsDone(page))
            {
                continue;
            }
            ulong address = area.Address + (ulong)(page * ImagePage.Bytes);
            FillResult result = task.File.Copy(address, chunk + (area.Offset + (page * ImagePage.Bytes) - start), ImagePage.Bytes, out long copied);
            Interlocked.Add(ref _copied, copied);
            switch (result)
            {
                case FillResult.Done:
                    task.MarkDone(area, page, 1);
                    break;
                case FillResult.Exists:
                    task.MarkDone(area, page, 1);
                    task.File.Wake(address, ImagePage.Bytes);
                    break;
                default:
                    return result;
            }
        }
        return FillResult.Done;
    }
}
