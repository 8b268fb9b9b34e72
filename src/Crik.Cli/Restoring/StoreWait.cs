using System.Diagnostics;
using Crik.Cli.Configuration;
using Crik.Cli.Decisions;
using Crik.Cli.ImageStore;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// What crik does when it cannot tell whether the image directory holds a checkpoint (the store
/// cannot be reached, answers errors, or a volume cannot be listed, locked or read). Unknown is not
/// empty: with onStoreUnavailable: wait (the default) nothing starts; the lookup is tried again for
/// lockWait, said at once and then every 10 s, and then crik exits 125 so that Kubernetes starts the
/// pod again. With onStoreUnavailable: start the app starts fresh at once, with a warning.
/// </summary>
/// <param name="waiting">Started when the lookup began: lockWait bounds the whole of it.</param>
internal sealed class StoreWait(CrikConfig config, ICheckpointStore store, ILogger log, Stopwatch waiting)
{
    /// <summary>How soon a failed lookup is tried again (a store's own retries come on top).</summary>
    public static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(1);

    /// <summary>How often a wait says it still waits.</summary>
    public static readonly TimeSpan NoticeEvery = Interop.HandleLock.WaitingNotice;

    private long? _told;

    /// <summary>
    /// True, after a short pause, when the lookup is to be tried again; false when the app starts fresh
    /// (onStoreUnavailable: start). Throws <see cref="RestoreFailedException"/> once lockWait has passed.
    /// </summary>
    public bool TryAgainAfter(Exception error)
    {
        string key = ConfigKeys.OnStoreUnavailable;
        WhenUnsure answer = StoreUnavailable.Decide(config.OnStoreUnavailable, lockWaitLeft: config.LockWait - waiting.Elapsed);
        if (answer == WhenUnsure.StartFresh)
        {
            log.Warning("crik cannot tell whether {Dir} holds a checkpoint ({Error}); starting the app fresh because {Key}: start asks for it, "
                + "which gives up the work in any checkpoint there and the promise of one live copy (a pod this one cannot see may still run the app); "
                + "remove {Key}: start to wait for the store instead", store.ImageDir, error.Message, key, key);
            return false;
        }
        // Said at the first failure, however long it took, and then every 10 s.
        if (_told is not { } told || Stopwatch.GetElapsedTime(told) >= NoticeEvery)
        {
            log.Warning("Waiting for {Dir}: crik cannot tell whether it holds a checkpoint ({Error}), so this pod starts nothing until it can "
                + "({Seconds:0} s of lockWait's {Wait:0.###} s); {Hint}", store.ImageDir, error.Message, waiting.Elapsed.TotalSeconds, config.LockWait.TotalSeconds, Hint(store.ImageDir));
            _told = Stopwatch.GetTimestamp();
        }
        if (answer == WhenUnsure.StartNothing)
        {
            throw new RestoreFailedException($"crik could not tell within lockWait ({config.LockWait.TotalSeconds:0.###} s) whether {store.ImageDir} holds a checkpoint: {error.Message}. "
                + "It started nothing, since a fresh start would drop the work in a checkpoint there and could run a second copy beside a pod it cannot see, "
                + $"and exits so that Kubernetes starts this pod again; {Hint(store.ImageDir)}, or set {key}: start to start the app fresh instead");
        }
        TimeSpan left = AtLeastZero(config.LockWait - waiting.Elapsed);
        Thread.Sleep(left < RetryEvery ? left : RetryEvery);
        return true;
    }

    /// <summary>What to check, for a store (s3://) or a volume.</summary>
    public static string Hint(string imageDir) => S3Address.IsS3(imageDir)
        ? "check that this pod reaches the store (network policy, DNS, a service-mesh sidecar not ready yet, AWS_ENDPOINT_URL_S3) and that its credentials are valid"
        : "check that the volume is mounted there and that crik (root) can list, lock and write it";

    public static TimeSpan AtLeastZero(TimeSpan span) => span > TimeSpan.Zero ? span : TimeSpan.Zero;
}
