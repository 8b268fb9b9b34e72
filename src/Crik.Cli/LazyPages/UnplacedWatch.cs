namespace Crik.Cli.LazyPages;

/// <summary>
/// When a page crik still has to fill, found not there for the process's userfaultfd, has stayed so long enough to fail the
/// fill. The change that explains it (an unmap, a move) queues its event on that userfaultfd right after it is made, but the
/// events thread may be busy elsewhere for any time (another process's fork, a move's look in /proc), and the event waits
/// unread meanwhile. So the wait counts only from the end of the first round of the events thread begun after the page was
/// first found unplaced: every message queued before that round began has been read by then.
/// </summary>
internal sealed class UnplacedWatch
{
    /// <summary>How long a page may stay unplaced once every event queued before it was found so has been read.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a page may stay unplaced whatever the events thread does: only an events thread stuck in one round (a read of
    /// /proc that never returns) takes this long, and it serves no fault meanwhile.
    /// </summary>
    public static readonly TimeSpan StuckRound = TimeSpan.FromSeconds(60);

    private long _roundsWhenFound = -1;
    private long _foundAt;
    private long _countingSince;

    /// <summary>
    /// Whether to give up on the page now, at <paramref name="now"/> (a <see cref="System.Diagnostics.Stopwatch"/> timestamp),
    /// with <paramref name="roundsBegun"/> the rounds the events thread has begun so far.
    /// </summary>
    public bool GivesUp(long roundsBegun, long now)
    {
        if (_roundsWhenFound < 0)
        {
            (_roundsWhenFound, _foundAt) = (roundsBegun, now);
            return false;
        }
        if (System.Diagnostics.Stopwatch.GetElapsedTime(_foundAt, now) >= StuckRound)
        {
            return true;
        }
        if (_countingSince == 0)
        {
            // The round begun after the page was found has ended once the one after it has begun.
            _countingSince = roundsBegun >= _roundsWhenFound + 2 ? now : 0;
            return false;
        }
        return System.Diagnostics.Stopwatch.GetElapsedTime(_countingSince, now) >= Wait;
    }
}
