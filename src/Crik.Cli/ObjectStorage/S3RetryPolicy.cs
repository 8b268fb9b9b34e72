namespace Crik.Cli.ObjectStorage;

/// <summary>How often and how patiently a request the store may yet answer is repeated.</summary>
internal sealed record S3RetryPolicy(int Attempts, TimeSpan FirstDelay, TimeSpan MaxDelay)
{
    /// <summary>Six attempts over about six seconds: long enough for a throttled or restarting store, short enough for a grace period.</summary>
    public static readonly S3RetryPolicy Default = new(6, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2));

    /// <summary>
    /// For a caller that retries itself: two more attempts within a few tenths of a second (a connection that
    /// broke, a store that stumbled once), and then the caller hears of the failure.
    /// </summary>
    public static readonly S3RetryPolicy CallerRetries = new(3, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200));

    /// <summary>One attempt: for a client whose caller retries (ImageStore/Backends/RetryingBackend).</summary>
    public static readonly S3RetryPolicy Once = new(1, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2));

    public TimeSpan Delay(int attempt) =>
        TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, FirstDelay.Ticks << Math.Min(attempt - 1, 16)) / 2 + Random.Shared.NextInt64(FirstDelay.Ticks));

    /// <summary>The pause before the attempt after <paramref name="attempt"/>, cut to the time <paramref name="remaining"/> (none when that is spent).</summary>
    public TimeSpan DelayWithin(int attempt, TimeSpan remaining)
    {
        TimeSpan delay = Delay(attempt);
        return delay < remaining ? delay : remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    /// <summary>Whether attempt <paramref name="attempt"/>, failed so (status 0: no answer), is followed by another.</summary>
    public bool TriesAgain(int attempt, int status, string? code) => attempt < Attempts && IsRetried(status, code);

    /// <summary>Failures that are tried again while attempts are left: no answer at all (status 0), or a transient one.</summary>
    public static bool IsRetried(int status, string? code) => status == 0 || IsTransient(status, code);

    /// <summary>
    /// Answers that say "try again": server errors, throttling (S3's and STS's), S3's request timeout, STS not reaching the identity
    /// provider, and a conditional write that met another one under way on the same object (409 <c>ConditionalRequestConflict</c>:
    /// that one may be this request's own earlier attempt, whose answer was lost, so only the next attempt tells whose it was).
    /// </summary>
    public static bool IsTransient(int status, string? code) =>
        status is 500 or 502 or 503 or 504 or 429
        || code is "SlowDown" or "RequestTimeout" or "InternalError" or "ServiceUnavailable" or "RequestTimeTooSkewed" or "Throttling" or "IDPCommunicationError"
            or ConditionalConflict or "OperationAborted";

    /// <summary>S3's code for a conditional write that met another conditional write to the same object still under way.</summary>
    public const string ConditionalConflict = "ConditionalRequestConflict";
}
