using Crik.Cli.Criu;
using Crik.Cli.Decisions;
using Crik.Cli.ImageStore;
using Crik.Cli.Interop;
using Crik.Cli.Model;
using Crik.Cli.PreDumping;
using Crik.Cli.Processes;
using Crik.Cli.Streaming;

namespace Crik.Cli.Checkpointing;

// The dump itself: streamed through crik, or written to files on top of pre-dumps (then imported
// once the app may run again), and the pre-dumps while the app runs.
internal sealed partial class Checkpointer
{
    public bool PreDumps => preDumps is { GaveUp: false };

    public async Task<bool> PreDumpAsync(RunningApp app, CancellationToken abort) =>
        preDumps is null || await preDumps.PreDumpAsync(app, ExternalMounts.Present(), config.CheckpointTimeout, abort).ConfigureAwait(false);

    /// <summary>What the dump records beside the images, read before it: the tree, crik's stdio, external mounts, and the pre-dumps it goes on top of.</summary>
    private void Prepare(DumpRun run)
    {
        RunningApp app = run.App;
        run.Tree = ProcessTree.PidsAndThreads(app.Pid);
        AppFiles.DeleteInotifyIncompatible(config.InotifyIncompatiblePaths, log);
        run.OnTop = OnTopOfPreDumps();
        // Only what crik handed the app is the container's; a pipe the app made itself is the app's.
        run.Stdio = ProcessTree.Stdio(Environment.ProcessId);
        run.Mounts = ExternalMounts.Present();
        log.Information("Checkpointing the app (PID {Pid}, {Count} processes and threads) as generation {Generation} in {Dir}{OnPreDumps}{Why}",
            app.Pid, run.Tree.Count, run.Generation, store.ImageDir, run.OnTop is not null ? $", on top of {preDumps!.Count} pre-dumps" : "", run.Reason switch
            {
                CheckpointReason.Periodic => " (checkpointInterval; the app runs on)",
                CheckpointReason.AtRisk => " (the node is at risk; the app runs on)",
                CheckpointReason.OnDemand => " (crik checkpoint; the app runs on)",
                CheckpointReason.OnDemandExit => " (crik checkpoint --exit)",
                _ => "",
            });
        run.Stages.Lap("preparing");
    }

    /// <summary>
    /// CRIU's dump: on top of the pre-dumps when there are any (and again streamed through crik when
    /// that fails on its own), else streamed through crik. Null when the images are all captured, else why not.
    /// </summary>
    private async Task<string?> DumpAsync(DumpRun run)
    {
        TimeSpan dumpTimeout = run.Budget.AtMost(config.CheckpointTimeout);
        (CriuResult dump, run.Captured, run.ToImport) = run.OnTop is { } onto
            ? await DumpOnPreDumpsAsync(run.App, run.Staging, run.Mounts, dumpTimeout, preDumps!, onto.Directory, onto.Parent).ConfigureAwait(false)
            : await StreamedDumpAsync(run.App, run.Staging, run.Mounts, dumpTimeout, run.Attempt.TakesArriving is not null).ConfigureAwait(false);
        if (DumpFallback.StreamsAfter(onTopOfPreDumps: run.OnTop is not null, dump.Succeeded, criuExited: dump.Status.Exited, run.Budget.Spent))
        {
            log.Warning("The dump on top of the pre-dumps failed: {Why}. Dumping all of the app's memory through crik instead", dump.Describe(dumpTimeout));
            preDumps!.Drop();
            dumpTimeout = run.Budget.AtMost(config.CheckpointTimeout);
            (dump, run.Captured, run.ToImport) = await StreamedDumpAsync(run.App, run.Staging, run.Mounts, dumpTimeout,
                run.Attempt.TakesArriving is not null).ConfigureAwait(false);
        }
        run.Dump = dump;
        if (!dump.Succeeded)
        {
            string why = dump.Describe(dumpTimeout);
            if (dump.TimedOut && dumpTimeout < config.CheckpointTimeout)
            {
                why += $" (the time left of checkpointBudget, {run.Budget.Total.TotalSeconds:0.###} s)";
            }
            return run.Captured?.Error is { } streamError ? $"{why}; crik's image streamer: {streamError}" : why;
        }
        return run.Captured?.Error is { } notStored ? $"the images were not stored whole: {notStored}" : null;
    }

    /// <summary>Stores the images CRIU wrote on top of its pre-dumps as chunks; null when there were none or all are stored, else why not.</summary>
    private static async Task<string?> ImportAsync(DumpRun run)
    {
        if (run.ToImport is not { } toImport)
        {
            return null;
        }
        run.Captured = await Task.Run(() => ImageImport.Import(toImport, run.Staging.Pack, inTime: () => !run.Budget.Spent)).ConfigureAwait(false);
        if (run.Captured.Error is { } notImported)
        {
            return $"the images CRIU wrote on top of its pre-dumps were not stored whole: {notImported}";
        }
        run.Stages.Lap("import");
        return null;
    }

    /// <summary>The dump reset the kernel's dirty-memory tracking: the next pre-dump is a whole one.</summary>
    private void ReleasePreDumps(DumpRun run)
    {
        if (run.OnTop is { } dumpedOnto)
        {
            dumpedOnto.Directory.Dispose();
            preDumps!.Drop();
        }
    }

    /// <summary>criu dump --stream, every image taken by crik's image streamer as CRIU writes it (the pagemaps kept too when the memory is still arriving).</summary>
    private async Task<(CriuResult Dump, CaptureResult? Captured, List<DirectoryHandle>? ToImport)> StreamedDumpAsync(RunningApp app,
        StagingCheckpoint staging, List<ExternalMount> mounts, TimeSpan timeout, bool takesArriving)
    {
        using ImageCapture capture = ImageCapture.Start(staging.ImagesDir, staging.Pack, keepPagemaps: takesArriving);
        // A streamer that cannot go on kills criu rather than leave it (and the frozen app) waiting on a pipe.
        CriuResult dump = await criu.RunAsync(CriuArguments.Dump(app.Pid, staging.ImagesDir, staging.Criu, mounts), staging.Criu, timeout,
            kill: capture.Failed).ConfigureAwait(false);
        return (dump, await Captured(capture).ConfigureAwait(false), null);
    }

    /// <summary>
    /// criu dump into <paramref name="directory"/>, beside the pre-dumps, of only the memory changed
    /// since the newest: the app is frozen for that alone. The files are cut into chunks afterwards
    /// (the directories to read, dump first, are the third result). The caller disposes <paramref name="directory"/>.
    /// </summary>
    private async Task<(CriuResult Dump, CaptureResult? Captured, List<DirectoryHandle>? ToImport)> DumpOnPreDumpsAsync(RunningApp app,
        StagingCheckpoint staging, List<ExternalMount> mounts, TimeSpan timeout, PreDumpChain chain, DirectoryHandle directory, PreDumpParent parent)
    {
        CriuResult dump = await criu.RunAsync(CriuArguments.Dump(app.Pid, directory.ProcPath, staging.Criu, mounts, parent), staging.Criu,
            timeout).ConfigureAwait(false);
        return (dump, null, chain.ChainUnder(directory));
    }

    /// <summary>Where a dump on top of the pre-dumps goes, or null to stream it (no pre-dumps, or no room for the dump's directory).</summary>
    private (DirectoryHandle Directory, PreDumpParent Parent)? OnTopOfPreDumps()
    {
        if (preDumps is not { Count: > 0 })
        {
            return null;
        }
        try
        {
            return preDumps.BeginDump();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("Cannot dump on top of the pre-dumps ({Error}); dumping all of the app's memory through crik instead", e.Message);
            preDumps.Drop();
            return null;
        }
    }

    /// <summary>
    /// What the image streamer took, once criu has exited. Its pipes close with criu, so this is
    /// quick; should a process criu left behind hold one open, the checkpoint fails instead of hanging.
    /// </summary>
    private static async Task<CaptureResult> Captured(ImageCapture capture)
    {
        try
        {
            return await capture.FinishAsync().WaitAsync(StreamerGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return new CaptureResult([], $"an image was still open {StreamerGrace.TotalSeconds:0} s after criu exited");
        }
    }
}
