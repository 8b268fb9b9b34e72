using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Crik.Cli.Timing;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Whether and why the fill failed (or crik stopped it), which every part of the fill reads and any may cause, one way:
/// the app is killed first, then whatever waits on the fill wakes to end (a background fill held or waiting for the
/// restore, the events thread's poll). The first reason counts; once the fill has ended, nothing fails it. The failure is seen
/// (<see cref="Failed"/>) as soon as it is published, while the kill is still under way: whoever lets go of the app's memory
/// waits for the kill first (<see cref="WaitUntilTheAppIsKilled"/>).
/// </summary>
internal sealed class FillFailure(IAppKiller app, BackgroundHold hold, ReadinessPoll poll) : IUnexpectedFailures
{
    /// <summary>Why the fill failed, and what that says: published whole, in one step, so that whoever sees the failure sees all of it.</summary>
    private sealed record Reason(string Why, bool CriksOwn, bool Proven);

    /// <summary>What <see cref="_reason"/> holds once the fill ended without failing: a failure cannot come after it.</summary>
    private static readonly Reason EndedWell = new("ended well", false, false);

    private Reason? _reason;

    /// <summary>Completed once the failure's kill is over, whether it reached every process or threw.</summary>
    private readonly TaskCompletionSource _appKilled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Nothing more is copied, and every loop of the fill ends.</summary>
    public bool Failed => Why is not null;

    /// <summary>Why the fill failed; null while it has not.</summary>
    public string? Why => Failure?.Why;

    /// <summary>The fill failed first because crik's own code threw what nobody expected (a bug), which says nothing of the checkpoint.</summary>
    public bool CriksOwn => Failure?.CriksOwn == true;

    /// <summary>
    /// The fill failed first on proof that the checkpoint cannot be restored: a chunk that does not read back whole, images
    /// that do not line up. Any other failure (a copy the kernel refused, CRIU late) says nothing of it.
    /// </summary>
    public bool Proven => Failure?.Proven == true;

    private Reason? Failure => Volatile.Read(ref _reason) is { } reason && !ReferenceEquals(reason, EndedWell) ? reason : null;

    /// <summary>Fails the fill on proof that the checkpoint cannot be restored (<see cref="Proven"/>).</summary>
    public void FailWithProof(string why) => Fail(new Reason(why, CriksOwn: false, Proven: true));

    /// <param name="criksOwn">crik's own code failed in a way nobody expected.</param>
    public void Fail(string why, bool criksOwn = false) => Fail(new Reason(why, criksOwn, Proven: false));

    private void Fail(Reason reason)
    {
        if (Interlocked.CompareExchange(ref _reason, reason, null) is not null)
        {
            return;
        }
        try
        {
            TestDelay.BeforeFailedFillKill();
            app.KillApp(reason.Why);
        }
        finally
        {
            _appKilled.TrySetResult();
            hold.Release();
            poll.Wake(); // the events thread lets go of the userfaultfds and says why
        }
    }

    /// <summary>
    /// When the fill failed, waits until the app is killed: a process of it that still ran once its userfaultfd is let go would
    /// read zeros where its pages never arrived. At once when the fill has not failed.
    /// </summary>
    public void WaitUntilTheAppIsKilled()
    {
        if (Failure is not null)
        {
            _appKilled.Task.Wait();
        }
    }

    /// <summary>A process handed over once the fill is over (it failed), after its app was killed: killed too, before its memory is let go.</summary>
    public void KillLate() => app.KillApp(Why ?? "the app's memory can no longer be served");

    /// <summary>An exception nobody expected, on one of the fill's threads: the same end as a failed fill, with the stack for the log.</summary>
    public void FailedUnexpectedly(string thread, Exception e) => Fail($"{thread} failed unexpectedly: {e}", criksOwn: true);

    /// <summary>The fill is over: a failure after this changes nothing. Returns why it failed, or null when it did not.</summary>
    public string? End()
    {
        Interlocked.CompareExchange(ref _reason, EndedWell, null);
        return Why;
    }
}
