namespace Crik.Cli.Supervision;

/// <summary>What the loop waits for besides the app, signals, requests and the lease; each is replaced once handled.</summary>
internal sealed class Wakeups(Task periodic, Task<bool> earlyWarning, Task preDump, Task probation, Task memoryLoaded)
{
    /// <summary>What never comes: a wakeup that is off.</summary>
    public static readonly Task Never = new TaskCompletionSource().Task;

    /// <summary>An early-warning poll that is off.</summary>
    public static readonly Task<bool> NeverAnswered = new TaskCompletionSource<bool>().Task;

    public Task Periodic { get; set; } = periodic;

    /// <summary>True when the node-state server says the node is at risk.</summary>
    public Task<bool> EarlyWarning { get; set; } = earlyWarning;

    public Task PreDump { get; set; } = preDump;

    /// <summary>A restored app has run for restoreProbation.</summary>
    public Task Probation { get; set; } = probation;

    /// <summary>A lazily restored app's memory is all in (null) or cannot be (why).</summary>
    public Task MemoryLoaded { get; set; } = memoryLoaded;
}
