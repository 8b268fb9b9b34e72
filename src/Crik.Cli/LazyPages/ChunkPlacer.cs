using System.Diagnostics;
using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Puts a chunk that arrived (read for a fault, or by the background fill) into every process that still misses any of its
/// pages, in one copy per run of missing pages (<see cref="PageCopier"/>), each holding the task's lock from its look at the
/// areas to the end of the copy (<see cref="LazyTask.Fill"/>). A page is never counted as in when it was not placed: one that stays unplaceable fails
/// the fill.
/// </summary>
internal sealed class ChunkPlacer
{
    private readonly AddressSpaces _spaces;
    private readonly ChunkReadAhead _reads;
    private readonly PageCopier _copier;
    private readonly ReadinessPoll _poll;
    private readonly FillFailure _fill;

    /// <param name="poll">The events thread's poll, woken when a process needs nothing more (its userfaultfd is let go).</param>
    public ChunkPlacer(AddressSpaces spaces, ChunkReadAhead reads, PageCopier copier, ReadinessPoll poll, FillFailure fill)
    {
        _spaces = spaces;
        _reads = reads;
        _copier = copier;
        _poll = poll;
        _fill = fill;
    }

    /// <summary>A chunk read (or failed): its pages go into every process that misses them.</summary>
    public void Arrived(int pagesId, int index, Task<byte[]> read)
    {
        try
        {
            FaultSeam.Hit(MemoryFiller.CopyWork);
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
                _fill.FailWithProof($"a chunk of its memory could not be read: {e.Message}");
                return;
            }
            FillPace.WaitBeforeLastCopy(() => _spaces.MissingChunks().Count);
            ChunkedImage image = _spaces.Image(pagesId);
            long start = image.StartOf(index);
            int length = image.ChunkSize(index);
            foreach (LazyTask task in _spaces.Tasks().Where(t => t.PagesId == pagesId))
            {
                CopyInto(task, bytes, start, length);
            }
        }
        catch (IOException e)
        {
            _fill.Fail($"the app's memory could not be filled: {e.Message}");
        }
        finally
        {
            _reads.Forget(pagesId, index);
        }
    }

    /// <summary>Copies the pages of a chunk (its <paramref name="length"/> bytes from <paramref name="start"/> in the pages image) that the process misses.</summary>
    private void CopyInto(LazyTask task, byte[] bytes, long start, int length)
    {
        UnplacedWatch? unplaced = null;
        while (!_fill.Failed)
        {
            if (task.Fill(_copier, bytes, start, length) is not { } copy)
            {
                return;
            }
            if (copy.EndedNow)
            {
                _poll.Wake();
            }
            if (copy.Result == FillResult.Unmapped && Unplaceable(task, start, unplaced ??= new UnplacedWatch()))
            {
                return;
            }
            if (copy.Result is not (FillResult.Retry or FillResult.Unmapped))
            {
                return;
            }
            // The app is changing its memory: the events thread reads what changed, then this copies again.
            Thread.Sleep(1);
        }
    }

    /// <summary>
    /// A page crik still has to fill is not there for the process's userfaultfd. The change that explains it comes as an
    /// event (<see cref="UnplacedWatch"/>); a page still unplaced once every event queued before has been read, and
    /// <see cref="UnplacedWatch.Wait"/> after, is in a mapping crik cannot fill (one CRIU never registered, say). It is never
    /// counted as done: the fill fails, the app is killed, and the checkpoint it came from stays for the next pod.
    /// </summary>
    private bool Unplaceable(LazyTask task, long start, UnplacedWatch unplaced)
    {
        if (!unplaced.GivesUp(_poll.Waits, Stopwatch.GetTimestamp()))
        {
            return false;
        }
        _fill.Fail($"process {task.Pid}'s pages from offset {start} of pages-{task.PagesId}.img could not be placed in its memory: their mapping is not "
            + "one crik can fill, and no change the app made explains it; crik does not count them as in");
        return true;
    }
}
