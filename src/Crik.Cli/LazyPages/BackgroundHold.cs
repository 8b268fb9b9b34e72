namespace Crik.Cli.LazyPages;

/// <summary>
/// What holds the background fill back: the restore, until CRIU has restored every process; and a checkpoint taken while
/// the memory arrives, from <see cref="Hold"/> to <see cref="Resume"/> (faults are still served meanwhile, and their copies
/// go on). A failed fill holds nothing: the fill wakes to end.
/// </summary>
internal sealed class BackgroundHold
{
    private readonly TaskCompletionSource _restored = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Guards <see cref="_held"/>; the held fill waits on it until a resume or a failure pulses it.</summary>
    private readonly object _holding = new();

    /// <summary>
    /// While true, the background fill copies no more chunks, and cannot end: the fill's reads stay open for a
    /// checkpoint that takes pages from the store (faults are still served, and their copies go on).
    /// </summary>
    private bool _held;

    /// <summary>The fill failed: nothing holds it back any more.</summary>
    private bool _released;

    /// <summary>A checkpoint holds the fill now (and the fill has not failed).</summary>
    public bool Held
    {
        get
        {
            lock (_holding)
            {
                return _held && !_released;
            }
        }
    }

    /// <summary>CRIU has restored every process (or the fill failed before it had).</summary>
    public bool Restored => _restored.Task.IsCompleted;

    /// <summary>CRIU has restored every process: the background fill starts.</summary>
    public void RestoreFinished() => _restored.TrySetResult();

    public void WaitForRestore() => _restored.Task.Wait();

    public void Hold()
    {
        lock (_holding)
        {
            _held = true;
        }
    }

    /// <summary>Lets the background fill go on; a second call (or one with nothing held) does nothing.</summary>
    public void Resume()
    {
        lock (_holding)
        {
            _held = false;
            Monitor.PulseAll(_holding);
        }
    }

    /// <summary>Waits while a checkpoint holds the background fill, until it resumes it or the fill fails.</summary>
    public void WaitWhileHeld()
    {
        lock (_holding)
        {
            while (_held && !_released)
            {
                Monitor.Wait(_holding);
            }
        }
    }

    /// <summary>The fill failed: a fill waiting for the restore, or held, wakes to end.</summary>
    public void Release()
    {
        _restored.TrySetResult();
        lock (_holding)
        {
            _released = true;
            Monitor.PulseAll(_holding);
        }
    }
}
