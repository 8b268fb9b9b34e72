using Crik.Cli.Guarding;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Chunks;

/// <summary>
/// Flushes a pack to disk while it is still being written, so that the flush before the commit
/// finds little left: the disk works while CRIU dumps instead of after it. One thread of its own
/// flushes (it blocks while the disk writes), so the threads hashing and writing chunks never wait
/// for the disk. Only a head start: the commit's flush is what makes the pack durable.
/// </summary>
internal sealed class EarlyWriteback : IDisposable
{
    /// <summary>How much is written between two writebacks: large enough for few calls, small enough to keep the disk busy.</summary>
    private const long Every = 8 << 20;

    private readonly SafeFileHandle _file;
    private readonly SemaphoreSlim _due = new(0, 1);
    private long _sinceLast;
    private int _stopped;

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

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            try
            {
                _due.Release();
            }
            catch (SemaphoreFullException)
            {
                // The thread is about to wake anyway, and sees it is stopped.
            }
        }
    }

    private void Run()
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
                _ = Libc.Fdatasync((int)_file.DangerousGetHandle());
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
}
