using System.Diagnostics;
using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

// Filling: a chunk copied into every process that misses pages of it, and the background fill.
internal sealed partial class MemoryFiller
{
    /// <summary>How long a page may stay unplaced (<see cref="Unplaceable"/>) before the fill fails.</summary>
    private static readonly TimeSpan UnplacedWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Fills everything the app has not asked for, once CRIU has restored every process: the chunks to
    /// fill first, then every chunk a process still misses pages of, in the images' order, reading
    /// <see cref="ReadAhead"/> chunks ahead. Passes again for what a fork left to fill meanwhile.
    /// </summary>
    private void FillInBackground()
    {
        try
        {
            _restored.Task.Wait();
            FaultSeam.Hit(FillerThread);
            List<(int PagesId, int Index)> previous = [];
            long missingBefore = long.MaxValue;
            for (bool firstPass = true; _failure is null; firstPass = false)
            {
                WaitWhileHeld(); // held, the fill neither copies nor ends (its reads stay open for the checkpoint)
                List<(int PagesId, int Index)> order = firstPass ? [.. _first.Concat(MissingChunks()).Distinct()] : MissingChunks();
                long missing = MissingPages();
                if (order.Count == 0)
                {
                    if (missing == 0)
                    {
                        break;
                    }
                    Thread.Sleep(1); // a child forked while the chunks were listed: list them again
                    continue;
                }
                if (missing >= missingBefore && order.SequenceEqual(previous))
                {
                    Fail($"{missing} pages of the app's memory could not be filled from their chunks (the images do not line up)");
                    break;
                }
                (previous, missingBefore) = (order, missing);
                FillAll(order, firstPass ? _first.Count : 0);
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            Fail($"the app's memory could not be filled: {e.Message}");
        }
        finally
        {
            _backgroundDone = true;
            _poll.Wake();
        }
    }

    /// <param name="first">How many chunks at the start of <paramref name="order"/> are those to fill first: in a lazy
    /// restore they are what the app is about to touch, so they are copied at the app's own CPU priority (read already,
    /// they take a few milliseconds), and only the fill after them yields the CPU to the app.</param>
    private void FillAll(List<(int PagesId, int Index)> order, int first)
    {
        var window = new Queue<(int PagesId, int Index, Task<byte[]> Read)>();
        int next = 0, copied = 0;
        // No process left (each has all its memory, or ended): nothing reads the rest, and the load ends with the app.
        while (_failure is null && (next < order.Count || window.Count > 0) && AnyProcessLeft())
        {
            if (copied++ == first && _appRunsMeanwhile)
            {
                BackgroundThread.YieldToTheApp();
            }
            while (window.Count < ReadAhead && next < order.Count)
            {
                (int pagesId, int index) = order[next++];
                window.Enqueue((pagesId, index, _reads.Get(pagesId, index, urgent: false)));
            }
            (int image, int chunk, Task<byte[]> read) = window.Dequeue();
            FillPace.Wait();
            WaitWhileHeld();
            Arrived(image, chunk, read);
        }
    }

    private bool AnyProcessLeft()
    {
        lock (_tasksLock)
        {
            return _tasks.Count > 0;
        }
    }

    /// <summary>A chunk read (or failed): its pages go into every process that misses them.</summary>
    private void Arrived(int pagesId, int index, Task<byte[]> read)
    {
        try
        {
            FaultSeam.Hit(CopyWork);
            byte[] bytes;
            try
            {
                bytes = read.GetAwaiter().GetResult();
            }
            catch (ObjectDisposedException)
            {
                return; // the fill is over already
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Fail($"a chunk of its memory could not be read: {e.Message}");
                return;
            }
            long start = _images[pagesId].StartOf(index);
            int length = _images[pagesId].ChunkSize(index);
            foreach (LazyTask task in Tasks().Where(t => t.PagesId == pagesId))
            {
                CopyInto(task, bytes, start, length);
            }
        }
        catch (IOException e)
        {
            Fail($"the app's memory could not be filled: {e.Message}");
        }
        finally
        {
            _reads.Forget(pagesId, index);
        }
    }

    /// <summary>Copies the pages of a chunk (its <paramref name="length"/> bytes from <paramref name="start"/> in the pages image) that the process misses.</summary>
    private void CopyInto(LazyTask task, byte[] bytes, long start, int length)
    {
        long unplacedSince = 0;
        while (_failure is null)
        {
            lock (task.Lock)
            {
                if (task.Ended || task.File.IsClosed)
                {
                    return;
                }
                FillResult result = _copier.CopyMissing(task, bytes, start, length);
                if (result == FillResult.Gone || task.Missing == 0)
                {
                    task.Ended = true;
                    _poll.Wake();
                }
                if (result == FillResult.Unmapped && Unplaceable(task, start, ref unplacedSince))
                {
                    return;
                }
                if (result is not (FillResult.Retry or FillResult.Unmapped))
                {
                    return;
                }
            }
            // The app is changing its memory: the events thread reads what changed, then this copies again.
            Thread.Sleep(1);
        }
    }

    /// <summary>
    /// A page crik still has to fill is not there for the process's userfaultfd. An unmap's event comes right after the
    /// unmap, so one that is not read yet is read within <see cref="UnplacedWait"/>; a page still unplaced then is in a
    /// mapping crik cannot fill (one CRIU never registered, say). It is never counted as done: the fill fails, the app is
    /// killed, and the checkpoint it came from stays for the next pod.
    /// </summary>
    private bool Unplaceable(LazyTask task, long start, ref long unplacedSince)
    {
        if (unplacedSince == 0)
        {
            unplacedSince = Stopwatch.GetTimestamp();
            return false;
        }
        if (Stopwatch.GetElapsedTime(unplacedSince) < UnplacedWait)
        {
            return false;
        }
        Fail($"process {task.Pid}'s pages from offset {start} of pages-{task.PagesId}.img could not be placed in its memory: their mapping is not "
            + "one crik can fill, and no change the app made explains it; crik does not count them as in");
        return true;
    }

    /// <summary>Every chunk some process still misses pages of, in the images' order.</summary>
    private List<(int PagesId, int Index)> MissingChunks()
    {
        var chunks = new SortedSet<(int PagesId, int Index)>();
        foreach (LazyTask task in Tasks())
        {
            ChunkedImage image = _images[task.PagesId];
            lock (task.Lock)
            {
                if (task.Ended)
                {
                    continue;
                }
                foreach (LazyArea area in task.Areas.Where(a => a.Missing > 0))
                {
                    for ((long first, long count) = area.NextMissing(0, area.Pages, long.MaxValue); count > 0; (first, count) = area.NextMissing(first + count, area.Pages, long.MaxValue))
                    {
                        int last = image.IndexAt(area.Offset + ((first + count) * ImagePage.Bytes) - 1);
                        for (int index = image.IndexAt(area.Offset + (first * ImagePage.Bytes)); index <= last; index++)
                        {
                            chunks.Add((task.PagesId, index));
                        }
                    }
                }
            }
        }
        return [.. chunks];
    }

    private long MissingPages() => Tasks().Sum(t =>
    {
        lock (t.Lock)
        {
            return t.Ended ? 0 : t.Missing;
        }
    });
}
