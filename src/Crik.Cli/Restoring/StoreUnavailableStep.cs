using System.Diagnostics;
using Crik.Cli.Configuration;
using Crik.Cli.Decisions;
using Crik.Cli.Timing;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// Carries out what <see cref="StoreUnavailable"/> plans when crik cannot tell whether the image directory holds a
/// checkpoint, for every caller (the lookup, a restore of the checkpoint found, a failure nobody expected): with
/// onStoreUnavailable: wait (the default) nothing starts; a lookup is tried again for lockWait, said at once and then
/// every 10 s, and then crik exits 125 so that Kubernetes starts the pod again. With onStoreUnavailable: start the app
/// starts fresh at once, with a warning.
/// </summary>
internal sealed class StoreUnavailableStep(CrikConfig config, string imageDir, ILogger log)
{
    /// <summary>How often a wait says it still waits.</summary>
    public static readonly TimeSpan NoticeEvery = Locking.HandleLock.WaitingNotice;

    private long? _told;

    /// <summary>
    /// Why the app starts fresh (onStoreUnavailable: start); null, after a short pause, when the lookup is to be tried
    /// again. Throws <see cref="RestoreFailedException"/> when nothing starts.
    /// </summary>
    /// <param name="waited">How long the lookup has gone on; for a restore or a failure nobody expected, it is over.</param>
    public string? Act(TroubleWith where, Exception error, TimeSpan waited) =>
        Act(new StoreTrouble(where, error.Message, imageDir, S3Address.IsS3(imageDir), Chunks.ReadFailures.FailedOnDisk(error)), waited);

    /// <inheritdoc cref="Act(TroubleWith, Exception, TimeSpan)"/>
    public string? Act(StoreTrouble trouble, TimeSpan waited)
    {
        switch (StoreUnavailable.Decide(trouble, config.OnStoreUnavailable, config.LockWait, waited))
        {
            case UnsurePlan.StartFresh fresh:
                log.Warning("{Warning}", fresh.Warning);
                return fresh.Why;
            case UnsurePlan.LookAgain again:
                SayWaiting(again.Waiting);
                WaitsBeforeTheApp.Sleep(again.After);
                return null;
            case UnsurePlan.StartNothing nothing:
                SayWaiting(nothing.Waiting);
                throw new RestoreFailedException(nothing.Message);
            default:
                throw new UnreachableException();
        }
    }

    /// <summary>Said at the first failure, however long it took, and then every 10 s.</summary>
    private void SayWaiting(string? waiting)
    {
        if (waiting is not null && (_told is not { } told || Stopwatch.GetElapsedTime(told) >= NoticeEvery))
        {
            log.Warning("{Waiting}", waiting);
            _told = Stopwatch.GetTimestamp();
        }
    }
}
