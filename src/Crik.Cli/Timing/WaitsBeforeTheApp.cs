using Crik.Cli.Interop;

namespace Crik.Cli.Timing;

/// <summary>
/// The waits before the app starts: for another crik's lock on the image directory, for a store crik cannot read
/// (<c>Restoring/CheckpointLookup</c>). A SIGTERM or SIGINT ends them: the pod is stopping, nothing runs yet that a checkpoint
/// or the signal could be for, and waiting on would only spend the pod's grace period until the kubelet's SIGKILL. Only
/// those waits look: once the lookup is over, a SIGTERM is the app's checkpoint's, as it always was.
/// </summary>
internal static class WaitsBeforeTheApp
{
    private static readonly ManualResetEventSlim Told = new();
    private static int StoppedBy, Waiting;

    /// <summary>A signal crik received (from its handlers): SIGTERM and SIGINT end the waits, now or when they begin.</summary>
    public static void Received(Signal signal)
    {
        if (signal is Signal.SIGTERM or Signal.SIGINT && Interlocked.CompareExchange(ref StoppedBy, (int)signal, 0) == 0)
        {
            Told.Set();
        }
    }

    /// <summary>From here until disposed, <see cref="Sleep"/> ends with <see cref="PodStoppingException"/> once the pod is told to stop.</summary>
    public static IDisposable Begin()
    {
        Interlocked.Increment(ref Waiting);
        return new Scope();
    }

    /// <summary>Sleeps between two looks of a wait; throws <see cref="PodStoppingException"/> instead within <see cref="Begin"/>'s scope once the pod is stopping.</summary>
    public static void Sleep(TimeSpan time)
    {
        if (Volatile.Read(ref Waiting) == 0)
        {
            Thread.Sleep(time);
        }
        else if (Told.Wait(time))
        {
            throw new PodStoppingException((Signal)Volatile.Read(ref StoppedBy));
        }
    }

    private sealed class Scope : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                Interlocked.Decrement(ref Waiting);
            }
        }
    }
}
