namespace Crik.Cli.LazyPages;

/// <summary>
/// The fill as a whole, as each of its parts sees it (<see cref="MemoryFiller"/> is it, and alone keeps whether and why it
/// failed): the parts' loops end once it has failed, and a part fails it the one way, the app killed first.
/// </summary>
internal interface IFillOutcome
{
    /// <summary>The fill failed (or crik stopped it): nothing more is copied, and every loop of the fill ends.</summary>
    bool Failed { get; }

    /// <inheritdoc cref="MemoryFiller.Fail"/>
    void Fail(string why);

    /// <summary>An exception nobody expected, on one of the fill's threads: the same end as a failed fill, with the stack for the log.</summary>
    void FailedUnexpectedly(string thread, Exception e);

    /// <summary>Everything is over: the userfaultfds are let go (after the app was killed, on a failure) and the reads stopped. The events thread's last act.</summary>
    void End();
}
