using Crik.Cli.Guarding;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Chunks;

/// <summary>
/// Flushes a pack to disk while it is still being written, so that the flush before the commit
/// finds little left: the disk works while CRIU dumps instead of after it. One thread of its own
/// flushes (it blocks while the disk writes), so the threads hashing and writing chunks never wait
/// for the disk. Only a head start: the commit's flush is what makes the pack durable. But a write the disk failed is
/// reported once for each open file (and the pages marked clean, their data lost): its error is kept, and the pack does not
/// complete with it (<see cref="StopAndTakeFailure"/>, which asks once more at the end), since before Linux 5.8 the commit's
/// syncfs reports no such error.
/// </summary>
internal sealed class EarlyWriteback : IDisposable
{
    /// <summary>How much is written between two writebacks: large enough for few calls, small enough to keep the disk busy.</summary>
    private const long Every = 8 << 20;

    private readonly SafeFileHandle _file;
    private readonly SemaphoreSlim _due = new(0, 1);
    private readonly ManualResetEventSlim _ended = new();
    private long _sinceLast;
    private int _stopped;
    private int _failure; // the errno of the first writeback that failed; 0 while none has

    public EarlyWriteback(SafeFileHandle file)
    {
        _file = file;
        // A failure nobody expected only ends the head start: the commit's flush still makes the pack durable.
        BackgroundThread.Start(Run, "crik pack writeback", (_, _) => Interlocked.Exchange(ref _stopped, 1));
    }

    /// <summary>Counts <paramref name="bytes"/> just written; every <see cref="Every"/> bytes the writer thread is woken.</summary>
    public void Wrote(long bytes)
    {
        if (Interlocked.Add(ref _sinceLast, bytes) >= Every && Volatile.Read(ref _stopped) == 0)
        {
            Interlocked.Exchange(ref _sinceLast, 0);
            try
            {
                _due.Release();
            }
            catch (Exception e) when (e is SemaphoreFullException or ObjectDisposedException)
            {
                // A writeback is already due and covers these bytes too, or the pack is done.
            }
        }
    }

    /// <summary>
    /// Stops the writebacks, waits for one under way, and returns the error of the first that failed (the disk lost some of
    /// the pack's bytes), or null.
    /// </summary>
    public Errno? StopAndTakeFailure()
    {
        Dispose();
        _ended.Wait();
        // One more, once the thread has ended: what the disk failed of the pack's last bytes (after the last writeback here,
        // in the commit's own flush say) is told to each open file once, and to this one only here.
        if (FailedWith is null && !_file.IsClosed)
        {
            Flush();
        }
        return FailedWith;
    }

    /// <summary>The error of the first writeback that failed so far, or null.</summary>
    public Errno? FailedWith => Volatile.Read(ref _failure) is not 0 and var failure ? (Errno)failure : null;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            try
            {
                _due.Release();
            }
            catch (Exception e) when (e is SemaphoreFullException or ObjectDisposedException)
            {
                // The thread is about to wake anyway, and sees it is stopped; or it has seen it already.
            }
        }
    }

    private void Run()
    {
        try
        {
            WriteBackWhenDue();
        }
        finally
        {
            _ended.Set();
        }
    }

    private void WriteBackWhenDue()
    {
        while (true)
        {
            _due.Wait();
            FaultSeam.Hit("crik pack writeback");
            if (Volatile.Read(ref _stopped) != 0)
            {
                _due.Dispose();
                return;
            }
            bool added = false;
            try
            {
                _file.DangerousAddRef(ref added); // the pack may be closed meanwhile: not under this call
                // fdatasync, not only a writeback: the disk's own cache is flushed too, which is most of
                // what a flush of the whole file system costs on a virtual disk.
                Flush();
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            finally
            {
                if (added)
                {
                    _file.DangerousRelease();
                }
            }
        }
    }

    /// <summary>One fdatasync of the pack; the first failure is kept.</summary>
    private void Flush()
    {
        if (Libc.Fdatasync((int)_file.DangerousGetHandle()) != 0 && Libc.LastErrno is var errno and not Errno.EINTR)
        {
            _ = Interlocked.CompareExchange(ref _failure, (int)errno, 0);
        }
    }
}
