using Crik.Cli.Chunks;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

// What a checkpoint taken while the memory arrives asks of the fill.
internal sealed partial class MemoryFiller : IArrivingMemory
{
    /// <summary>
    /// While true, the background fill copies no more chunks, and cannot end: the fill's reads stay open for a
    /// checkpoint that takes pages from the store (faults are still served, and their copies go on).
    /// </summary>
    private volatile bool _held;

    public void HoldBackground() => _held = true;

    public void ResumeBackground() => _held = false;

    public IReadOnlyList<UnfilledProcess> Unfilled()
    {
        var processes = new List<UnfilledProcess>();
        foreach (LazyTask task in Tasks())
        {
            UnfilledProcess process;
            lock (task.Lock)
            {
                if (task.Ended || task.File.IsClosed)
                {
                    continue;
                }
                process = new UnfilledProcess(task.Pid, task.StartTime, task.PagesId, task.Forked,
                    [.. task.Areas.Select(a => new UnfilledArea(a.Address, a.Offset, a.Pages, a.DoneNow()))]);
            }
            // Outside the lock: the kernel answers EAGAIN until the events thread has read a fork or mremap under way.
            processes.Add(process.Areas.Count == 0 ? process : process with { Alive = Serves(task, process.Areas[0].Address) });
        }
        return processes;
    }

    /// <summary>Whether the task's userfaultfd still serves its process (<see cref="UserfaultFile.Serves"/>), asking again for a while while the app changes its memory.</summary>
    private static bool? Serves(LazyTask task, ulong address)
    {
        for (int attempt = 0; ; attempt++)
        {
            bool? answer;
            try
            {
                answer = task.File.Serves(address);
            }
            catch (ObjectDisposedException)
            {
                return false; // the fill let go of it: the process is gone
            }
            if (answer is not null || attempt == 50)
            {
                return answer;
            }
            Thread.Sleep(2);
        }
    }

    public IReadOnlyList<ChunkRef> Chunks(int pagesId) => _images[pagesId].Chunks;

    public void Read(int pagesId, long offset, Span<byte> destination) => _images[pagesId].Read(offset, destination);

    /// <summary>Waits while a checkpoint holds the background fill (or until the fill fails).</summary>
    private void WaitWhileHeld()
    {
        while (_held && _failure is null)
        {
            Thread.Sleep(5);
        }
    }
}
