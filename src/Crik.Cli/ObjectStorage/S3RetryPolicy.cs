namespace Crik.Cli.ObjectStorage;

/// <summary>How often and how patiently a request the store may yet answer is repeated.</summary>
internal sealed record S3RetryPolicy(int Attempts, TimeSpan FirstDelay, TimeSpan MaxDelay)
{
    /// <summary>Six attempts over about six seconds: long enough for a throttled or restarting store, short enough for a grace period.</summary>
    public static readonly S3RetryPolicy Default = new(6, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2));

    public TimeSpan Delay(int attempt) =>
        TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, FirstDelay.Ticks << Math.Min(attempt - 1, 16)) / 2 + Random.Shared.NextInt64(FirstDelay.Ticks));

    /// <summary>Answers that say "try again": server errors, throttling (S3's and STS's), S3's request timeout, and STS not reaching the identity provider.</summary>
    public static bool IsTransient(int status, string? code) =>
        status is 500 or 502 or 503 or 504 or 429
        || code is "SlowDown" or "RequestTimeout" or "InternalError" or "ServiceUnavailable" or "RequestTimeTooSkewed" or "Throttling" or "IDPCommunicationError";
}
