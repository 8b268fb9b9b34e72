using System.Diagnostics;

namespace Crik.Cli.LazyPages;

/// <summary>What crik tells of its store while a lazily restored app's memory arrives: it stopped answering, still does not, or is back.</summary>
internal enum OutageStage
{
    Began,
    Still,
    Over,
}

/// <param name="Lasted">From the first failed read of this outage until now.</param>
/// <param name="Patience">lazyStoreWait: how long the app waits for the store in all.</param>
/// <param name="Why">What the store answered (or did not) the first time, for an outage's first and reminding words; the last time, once it is over.</param>
internal sealed record OutageNews(OutageStage Stage, TimeSpan Lasted, TimeSpan Patience, string Why);

/// <summary>
/// A lazy fill's view of its image store: answering, or not since when. Reads that fail in a way the
/// store may take back (<see cref="Chunks.ReadFailure.Transient"/>) say so with <see cref="Failed"/>, and
/// are tried again while <see cref="Patience"/> lasts; a read sent after the outage began that succeeds
/// ends it (one sent before, answered late, says nothing of the store now). What is told:
/// the outage's start at once, a reminder every <see cref="ReminderEvery"/> (<see cref="Tick"/>), and
/// its end once. Safe from several threads.
/// </summary>
internal sealed class StoreOutage(TimeSpan patience, IOutageListener listener) : Chunks.IStorePatience
{
    public static readonly TimeSpan ReminderEvery = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private long _since;
    private long _lastTold;
    private long _lastEnded;
    private string _firstWhy = "", _lastWhy = "";

    public TimeSpan Patience => patience;

    /// <summary>How long the store has not answered; null while it answers.</summary>
    public TimeSpan? Lasted
    {
        get
        {
            lock (_lock)
            {
                return _since == 0 ? null : Stopwatch.GetElapsedTime(_since);
            }
        }
    }

    /// <summary>The store has not answered for <see cref="Patience"/>: the app is not kept waiting any longer.</summary>
    public bool Spent => Lasted is { } lasted && lasted >= patience;

    /// <summary>Why the fill gives up, once <see cref="Spent"/>.</summary>
    public string GiveUp()
    {
        lock (_lock)
        {
            return $"the image store did not answer for {Seconds(patience)} (lazyStoreWait); the last failure: {_lastWhy}";
        }
    }

    /// <summary>A read failed in a way the store may take back; false once <see cref="Patience"/> is spent (do not try again).</summary>
    public bool Failed(string why)
    {
        OutageNews? news = null;
        lock (_lock)
        {
            _lastWhy = why;
            if (_since == 0)
            {
                news = Begin(Stopwatch.GetTimestamp(), why);
            }
        }
        Tell(news);
        return !Spent;
    }

    /// <summary>A read sent at <paramref name="sentAt"/> (<see cref="Stopwatch.GetTimestamp"/>) succeeded: an outage under way before it was sent is over (true).</summary>
    public bool Answered(long sentAt)
    {
        OutageNews? news = null;
        lock (_lock)
        {
            if (_since != 0 && sentAt >= _since)
            {
                news = new OutageNews(OutageStage.Over, Stopwatch.GetElapsedTime(_since), patience, _lastWhy);
                _since = 0;
                _lastEnded = Stopwatch.GetTimestamp();
            }
        }
        Tell(news);
        return news is not null;
    }

    /// <summary>
    /// The oldest attempt at a read under way was sent at <paramref name="sentAt"/> (0: none is under way): one
    /// unanswered for longer than <paramref name="stalled"/> starts an outage from when it was sent (a read stuck
    /// where no timeout reaches it, such as a volume's in the kernel), unless it was sent during an outage that is over.
    /// </summary>
    public void Unanswered(long sentAt, TimeSpan stalled)
    {
        OutageNews? news = null;
        lock (_lock)
        {
            TimeSpan waited = Stopwatch.GetElapsedTime(sentAt);
            if (_since == 0 && sentAt != 0 && sentAt >= _lastEnded && waited > stalled)
            {
                news = Begin(sentAt, _lastWhy = $"a read of the app's memory has had no answer for {waited.TotalSeconds:0} s");
            }
        }
        Tell(news);
    }

    /// <summary>Called often (the fill's events thread does): tells that the store still does not answer, every <see cref="ReminderEvery"/>.</summary>
    public void Tick()
    {
        OutageNews? news = null;
        lock (_lock)
        {
            if (_since != 0 && Stopwatch.GetElapsedTime(_lastTold) >= ReminderEvery)
            {
                _lastTold = Stopwatch.GetTimestamp();
                news = new OutageNews(OutageStage.Still, Stopwatch.GetElapsedTime(_since), patience, _firstWhy);
            }
        }
        Tell(news);
    }

    /// <summary>An outage begins, dated from <paramref name="since"/>; under the lock.</summary>
    private OutageNews Begin(long since, string why)
    {
        _since = since;
        _lastTold = Stopwatch.GetTimestamp();
        _firstWhy = why;
        return new OutageNews(OutageStage.Began, Stopwatch.GetElapsedTime(since), patience, why);
    }

    /// <summary>Tells what was decided under the lock, outside it (the log and the Events are not held up by readers, nor they by them).</summary>
    private void Tell(OutageNews? news)
    {
        if (news is not null)
        {
            listener.Told(news);
        }
    }

    private static string Seconds(TimeSpan time) =>
        time.TotalSeconds.ToString(time.TotalSeconds < 10 ? "0.#" : "0", System.Globalization.CultureInfo.InvariantCulture) + " s";
}
