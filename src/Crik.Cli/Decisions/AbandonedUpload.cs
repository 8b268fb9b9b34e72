namespace Crik.Cli.Decisions;

/// <summary>When a pack's multipart upload that no crik completed (a pod killed mid-dump) is dropped.</summary>
internal static class AbandonedUpload
{
    /// <summary>How old an unfinished upload is before it is taken as abandoned: no dump takes that long.</summary>
    public static readonly TimeSpan Age = TimeSpan.FromHours(1);

    /// <summary>Whether an upload started at <paramref name="initiated"/> is dropped at <paramref name="now"/>: once it is older than <see cref="Age"/>.</summary>
    public static bool IsDropped(DateTimeOffset initiated, DateTimeOffset now) => initiated < now - Age;
}
