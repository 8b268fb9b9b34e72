using System.Globalization;
using Crik.Cli.Configuration;

namespace Crik.Cli.Decisions;

/// <summary>Where crik met a store it could not read: looking for a checkpoint, restoring one it found, or either (a failure nobody expected).</summary>
internal enum TroubleWith
{
    Lookup,
    FoundCheckpoint,
    Unexpected,
}

/// <param name="Where">What crik was doing.</param>
/// <param name="Problem">What failed, in words, for the log and the pod's Event.</param>
/// <param name="ImageDir">The image directory (a path or an s3:// address).</param>
/// <param name="ObjectStorage">Whether it is object storage (what to check differs).</param>
/// <param name="OwnDiskFailed">The trouble is this node's own disk failing under the volume (not a network file system away).</param>
internal sealed record StoreTrouble(TroubleWith Where, string Problem, string ImageDir, bool ObjectStorage, bool OwnDiskFailed = false);

/// <summary>What crik does when it cannot tell whether the image directory holds a checkpoint (<see cref="StoreUnavailable"/>).</summary>
internal abstract record UnsurePlan
{
    private UnsurePlan()
    {
    }

    /// <summary>The app starts fresh at once (onStoreUnavailable: start): <paramref name="Warning"/> for the log, <paramref name="Why"/> for the StartedFresh Event.</summary>
    public sealed record StartFresh(string Warning, string Why) : UnsurePlan;

    /// <summary>Nothing starts yet: the lookup is tried again after <paramref name="After"/>, since lockWait has time left; <paramref name="Waiting"/> says so.</summary>
    public sealed record LookAgain(TimeSpan After, string Waiting) : UnsurePlan;

    /// <summary>
    /// Nothing starts: crik exits with <paramref name="Message"/> so that Kubernetes starts the pod again; a lookup that
    /// never said it waits (its first failure took all of lockWait) says so first (<paramref name="Waiting"/>).
    /// </summary>
    public sealed record StartNothing(string Message, string? Waiting = null) : UnsurePlan;
}

/// <summary>
/// onStoreUnavailable: unknown is not empty. When crik cannot tell whether the image directory holds a
/// checkpoint (it cannot list, lock or read it, or reading the checkpoint it found failed), a fresh
/// start could drop that checkpoint's work and run a second copy beside a pod crik cannot see; so
/// nothing starts unless the user chose to start. A lookup is tried again while lockWait has time left.
/// </summary>
internal static class StoreUnavailable
{
    /// <summary>How soon a failed lookup is tried again (a store's own retries come on top).</summary>
    public static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(1);

    private const string Key = ConfigKeys.OnStoreUnavailable;

    /// <param name="waited">How long the lookup has gone on (lockWait bounds it).</param>
    public static UnsurePlan Decide(StoreTrouble trouble, StoreUnavailablePolicy policy, TimeSpan lockWait, TimeSpan waited)
    {
        if (policy == StoreUnavailablePolicy.Start)
        {
            return StartFresh(trouble);
        }
        TimeSpan left = lockWait - waited;
        string? waiting = trouble.Where != TroubleWith.Lookup ? null
            : $"Waiting for {trouble.ImageDir}: crik cannot tell whether it holds a checkpoint ({trouble.Problem}), so this pod starts nothing until it can "
                + $"({Seconds(waited)} s of lockWait's {lockWait.TotalSeconds:0.###} s); {Hint(trouble)}";
        if (waiting is not null && left > TimeSpan.Zero)
        {
            return new UnsurePlan.LookAgain(left < RetryEvery ? left : RetryEvery, waiting);
        }
        return new UnsurePlan.StartNothing(Waiting: waiting, Message: trouble.Where switch
        {
            TroubleWith.Lookup => $"crik could not tell within lockWait ({lockWait.TotalSeconds:0.###} s) whether {trouble.ImageDir} holds a checkpoint: {trouble.Problem}. "
                + "It started nothing, since a fresh start would drop the work in a checkpoint there and could run a second copy beside a pod it cannot see, "
                + $"and exits so that Kubernetes starts this pod again; {Hint(trouble)}, or set {Key}: start to start the app fresh instead",
            TroubleWith.FoundCheckpoint => $"{trouble.Problem}; the checkpoint stays, and crik starts nothing and exits so that Kubernetes starts this pod again "
                + $"to restore it; {Hint(trouble)}, or set {Key}: start to start the app fresh instead",
            _ => $"crik could not look for or restore a checkpoint ({trouble.Problem}), so it starts nothing "
                + $"and exits so that Kubernetes starts this pod again; {Key}: start starts the app fresh instead",
        });
    }

    /// <summary>What to check, for a store (s3://) or a volume.</summary>
    public static string Hint(StoreTrouble trouble) =>
        trouble.ObjectStorage ? "check that this pod reaches the store (network policy, DNS, a service-mesh sidecar not ready yet, AWS_ENDPOINT_URL_S3) and that its credentials are valid"
        : trouble.OwnDiskFailed ? "check the disk under the volume on this node (the node's kernel log shows its I/O errors)"
        : "check that the volume is mounted there and that crik (root) can list, lock and write it";

    private static UnsurePlan.StartFresh StartFresh(StoreTrouble trouble)
    {
        string problem = trouble.Where switch
        {
            TroubleWith.Lookup => $"crik cannot tell whether {trouble.ImageDir} holds a checkpoint ({trouble.Problem})",
            TroubleWith.FoundCheckpoint => trouble.Problem,
            _ => $"could not look for or restore a checkpoint ({trouble.Problem})",
        };
        string givesUp = trouble.Where == TroubleWith.FoundCheckpoint ? "the work since that checkpoint"
            : "the work in any checkpoint there and the promise of one live copy (a pod this one cannot see may still run the app)";
        return new UnsurePlan.StartFresh(
            $"{problem}; starting the app fresh because {Key}: start asks for it, which gives up {givesUp}; remove {Key}: start to wait for the store instead",
            $"{problem}, and {Key}: start asks for a fresh start");
    }

    private static string Seconds(TimeSpan span) => Math.Max(0, span.TotalSeconds).ToString("0", CultureInfo.InvariantCulture);
}
