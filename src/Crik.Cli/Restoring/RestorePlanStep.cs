using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.Decisions;
using Crik.Cli.LazyPages;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>How the restore a plan ran ended: lazily with the app's memory arriving, on crik's fill, or eagerly with CRIU's result.</summary>
internal abstract record RestoreEnd
{
    public sealed record Lazily(LazyLoad Loading) : RestoreEnd;

    public sealed record OnCriksFill(FilledRestore.Filled Filled) : RestoreEnd;

    /// <param name="NotWhole">What did not arrive whole (null when all did).</param>
    /// <param name="From">Where CRIU read the images (<see cref="RestorePlanStep.FromStream"/>, <see cref="RestorePlanStep.FromFiles"/>).</param>
    public sealed record Eagerly(CriuResult Result, NotWhole? NotWhole, string From) : RestoreEnd;
}

/// <summary>
/// Carries out a restore's plan (<see cref="RestorePlan"/>), the one place the restores are tried in order: reads the
/// node's facts, says what the plan passes over, runs each restore of the plan and, when one fails before the app ran
/// and the plan falls back from it, the next. A lazy restore or one on crik's fill that fails says why itself.
/// </summary>
internal sealed class RestorePlanStep(CrikConfig config, LazyRestore lazy, FilledRestore filled, CriuRestore criu, ImageFilesRestore imageFiles,
    Leftovers leftovers, ILogger log)
{
    public const string FromStream = "from CRIU's stream", FromFiles = "from image files";

    /// <summary>How the last restore tried ended: the app runs (or was restored and its fill failed), or CRIU's result.</summary>
    public async Task<RestoreEnd> RunAsync(RestoreRun run)
    {
        NodeFacts node = NodeFactsReader.Read();
        RestorePlan plan = RestorePlan.For(run.Manifest, run.Checkpoint.Restores, config.LazyRestore, node);
        foreach (string said in plan.Said)
        {
            log.Information("Checkpoint {Generation}: {Said}", run.Manifest.Generation, said);
        }
        for (int i = 0; ; i++)
        {
            (RestoreWay way, string why) = plan.Ways[i];
            log.Debug("Checkpoint {Generation}: restoring it {Way}: {Why}", run.Manifest.Generation, way, why);
            RestoreEnd? end = await TryAsync(way, run, node).ConfigureAwait(false);
            bool fallsBack = end switch
            {
                null => true,
                RestoreEnd.Eagerly { Result.Succeeded: false } failed => RestorePlan.FallsBack(way, failed.Result.FirstError, failed.NotWhole is null),
                _ => false,
            };
            if (!fallsBack || i == plan.Ways.Count - 1)
            {
                return end ?? throw new InvalidOperationException($"the restore plan of checkpoint {run.Manifest.Generation} ends on {way}, which gave up");
            }
            if (end is RestoreEnd.Eagerly { Result: var result })
            {
                // Nothing of the app ran: CRIU failed while laying out its memory. Once the failed tree is gone, the next restore runs.
                await leftovers.ForgetFailedTreeAsync(run).ConfigureAwait(false);
                log.Information("Checkpoint {Generation}: CRIU cannot restore this app from a stream ({Error}); restoring it from image files",
                    run.Manifest.Generation, result.FirstError);
            }
        }
    }

    /// <summary>One restore of the plan; null when it gave up before the app ran (a lazy one or one on crik's fill: logged, what it left gone).</summary>
    private async Task<RestoreEnd?> TryAsync(RestoreWay way, RestoreRun run, NodeFacts node)
    {
        switch (way)
        {
            case RestoreWay.Lazy:
                return await lazy.TryAsync(run).ConfigureAwait(false) is { } loading ? new RestoreEnd.Lazily(loading) : null;
            case RestoreWay.OnCriksFill:
                return await filled.TryAsync(run, node.ShellPresent).ConfigureAwait(false) is { } done ? new RestoreEnd.OnCriksFill(done) : null;
            case RestoreWay.FromStream:
                (CriuResult streamed, NotWhole? notWhole) = await criu.RunAsync(run, imageFiles: null).ConfigureAwait(false);
                return new RestoreEnd.Eagerly(streamed, notWhole, FromStream);
            case RestoreWay.FromWrittenFiles:
                (CriuResult written, NotWhole? notWritten) = await imageFiles.RunAsync(run).ConfigureAwait(false);
                return new RestoreEnd.Eagerly(written, notWritten, FromFiles);
            default:
                (CriuResult own, NotWhole? notOwn) = await criu.RunAsync(run, run.Attempt.FilesDir).ConfigureAwait(false);
                return new RestoreEnd.Eagerly(own, notOwn, FromFiles);
        }
    }
}
