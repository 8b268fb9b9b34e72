using Crik.Cli.Chunks;
using Crik.Cli.Interop;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Whether and why the fill failed (or crik stopped it), which every part of the fill reads and any may cause, one way:
/// the app is killed first, then whatever waits on the fill wakes to end (a background fill held or waiting for the
/// restore, the events thread's poll). The first reason counts; once the fill has ended, nothing fails it.
/// </summary>
internal sealed class FillFailure(IAppKiller app, BackgroundHold hold, ReadinessPoll poll) : IUnexpectedFailures
{
    /// <summary>What <see cref="_why"/> holds once the fill ended without failing: a failure cannot come after it.</summary>
    private static readonly string EndedWell = new("ended well".AsSpan());

    private string? _why;

    /// <summary>Nothing more is copied, and every loop of the fill ends.</summary>
    public bool Failed => Why is not null;

    /// <summary>Why the fill failed; null while it has not.</summary>
    public string? Why => Volatile.Read(ref _why) is { } why && !ReferenceEquals(why, EndedWell) ? why : null;

    /// <summary>The fill failed first because crik's own code threw what nobody expected (a bug), which says nothing of the checkpoint.</summary>
    public bool CriksOwn { get; private set; }

    /// <summary>
    /// The fill failed first on proof that the checkpoint cannot be restored: a chunk that does not read back whole, images
    /// that do not line up. Any other failure (a copy the kernel refused, CRIU late, a timeout) says nothing of it.
    /// </summary>
    public bool Proven { get; private set; }

    /// <summary>Fails the fill on proof that the checkpoint cannot be restored (<see cref="Proven"/>).</summary>
    public void FailWithProof(string why) => Fail(why, criksOwn: false, proven: true);

    /// <param name="criksOwn">crik's own code failed in a way nobody expected.</param>
    public void Fail(string why, bool criksOwn = false) => Fail(why, criksOwn, proven: false);

    private void Fail(string why, bool criksOwn, bool proven)
    {
        if (Interlocked.CompareExchange(ref _why, why, null) is not null)
        {
            return;
        }
        CriksOwn = criksOwn;
        Proven = proven;
        try
        {
            app.KillApp(why);
        }
        finally
        {
            hold.Release();
            poll.Wake(); // the events thread lets go of the userfaultfds and says why
        }
    }

    /// <summary>A process handed over once the fill is over (it failed), after its app was killed: killed too, before its memory is let go.</summary>
    public void KillLate() => app.KillApp(Why ?? "the app's memory can no longer be served");

    /// <summary>An exception nobody expected, on one of the fill's threads: the same end as a failed fill, with the stack for the log.</summary>
    public void FailedUnexpectedly(string thread, Exception e) => Fail($"{thread} failed unexpectedly: {e}", criksOwn: true);

    /// <summary>The fill is over: a failure after this changes nothing. Returns why it failed, or null when it did not.</summary>
    public string? End()
    {
        Interlocked.CompareExchange(ref _why, EndedWell, null);
        return Why;
    }
}
