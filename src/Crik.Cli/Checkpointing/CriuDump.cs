using System.Diagnostics;
using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.Decisions;
using Crik.Cli.ImageStore;
using Crik.Cli.Interop;
using Crik.Cli.PreDumping;
using Crik.Cli.Processes;
using Crik.Cli.Streaming;
using Serilog;

namespace Crik.Cli.Checkpointing;

/// <summary>What CRIU's dump came to.</summary>
/// <param name="Captured">The images crik's streamer took; null when CRIU wrote them as files on top of the pre-dumps.</param>
/// <param name="ToImport">Images CRIU wrote as files on top of its pre-dumps, still to be stored as chunks (<see cref="CriuDump.ImportAsync"/>).</param>
/// <param name="WhyNot">Null when the images are all captured, else why not.</param>
internal sealed record DumpTaken(CriuResult Criu, CaptureResult? Captured, List<DirectoryHandle>? ToImport, string? WhyNot);

/// <summary>
/// CRIU's dump: streamed through crik, or written to files on top of pre-dumps (then imported once the app may run
/// again), and the pre-dumps while the app runs.
/// </summary>
internal sealed class CriuDump(CrikConfig config, CriuRunner criu, PreDumpChain? preDumps, ILogger log)
{
    private static readonly TimeSpan StreamerGrace = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long criu has to fail on its own once crik's image streamer has failed and closed its pipes. CRIU writes to
    /// them without pause while it dumps, so it meets the closed pipe within milliseconds, and then takes its parasite
    /// out of the app and lets the app go, well within a second; the rest is room for a loaded node. A criu still
    /// running by then is stuck elsewhere, and is asked to stop (<see cref="CriuProcessGroup.StopAsync"/>): a CRIU without
    /// crik's patch ends at once, which may cost the app its life, and that is all that is left.
    /// </summary>
    private static readonly TimeSpan CriuStopGrace = TimeSpan.FromSeconds(5);

    /// <summary>Whether a dump's log was read for where CRIU took the app's areas' flags from: once, at the first dump that had the option.</summary>
    private bool _areaFlagsSourceRead;

    public bool PreDumps => preDumps is { GaveUp: false };

    public async Task<bool> PreDumpAsync(RunningApp app, CancellationToken abort) =>
        preDumps is null || await preDumps.PreDumpAsync(app, ExternalMounts.Present(), config.CheckpointTimeout, abort).ConfigureAwait(false);

    /// <summary>
    /// On top of the pre-dumps when there are any (and again streamed through crik when that fails on its own),
    /// else streamed through crik.
    /// </summary>
    /// <param name="writtenOnly">Streamed, only the pages the app wrote since the previous checkpoint (the others left as holes in it).</param>
    /// <param name="whenReadOut">Streamed, called once CRIU has dumped the app (it exited, or said it succeeded: criu-patches/0014)
    /// and every image is read out of its pipe, before the last chunks are stored (and before this returns): what is to be done
    /// with the app stopped, and its release, need not wait for the store (object storage uploads a part with some chunks), nor
    /// for criu's teardown. Not called when the dump failed.</param>
    public async Task<DumpTaken> DumpAsync(DumpRun run, DumpSetup setup, bool writtenOnly = false, Func<Task>? whenReadOut = null)
    {
        TimeSpan dumpTimeout = run.Budget.AtMost(config.CheckpointTimeout);
        bool takesArriving = run.Attempt.TakesArriving is not null;
        bool areaFlagsByBpf = await criu.ListsOptionAsync(CriuArguments.AreaFlagsOption).ConfigureAwait(false);
        (CriuResult dump, CaptureResult? captured, List<DirectoryHandle>? toImport) = setup.OnTop is { } onto
            ? await DumpOnPreDumpsAsync(run, setup.Mounts, dumpTimeout, onto.Directory, onto.Parent, areaFlagsByBpf).ConfigureAwait(false)
            : await StreamedDumpAsync(run, setup.Mounts, dumpTimeout, takesArriving, areaFlagsByBpf, writtenOnly, whenReadOut).ConfigureAwait(false);
        if (DumpFallback.StreamsAfter(onTopOfPreDumps: setup.OnTop is not null, dump.Succeeded, criuExited: dump.Status.Exited, run.Budget.Spent))
        {
            log.Warning("The dump on top of the pre-dumps failed: {Why}. Dumping all of the app's memory through crik instead", dump.Describe(dumpTimeout));
            preDumps!.Drop();
            dumpTimeout = run.Budget.AtMost(config.CheckpointTimeout);
            (dump, captured, toImport) = await StreamedDumpAsync(run, setup.Mounts, dumpTimeout, takesArriving, areaFlagsByBpf, whenReadOut: whenReadOut).ConfigureAwait(false);
        }
        if (areaFlagsByBpf)
        {
            SayIfAreaFlagsCameFromSmaps(run.Staging.Criu, dump);
        }
        return new DumpTaken(dump, captured, toImport, WhyNot(run, dump, captured, dumpTimeout));
    }

    /// <summary>
    /// Once: where the first dump given <see cref="CriuArguments.AreaFlagsOption"/> read the app's areas' flags from smaps, why, since
    /// each checkpoint's freeze is longer for it (about 35 ms at 1 GiB) and the fix may be the container's capabilities.
    /// </summary>
    private void SayIfAreaFlagsCameFromSmaps(CriuWorkDir work, CriuResult dump)
    {
        if (_areaFlagsSourceRead || !dump.Succeeded)
        {
            return;
        }
        _areaFlagsSourceRead = true;
        try
        {
            if (AreaFlagsLog.WhyFromSmaps(File.ReadLines(work.LogFile)) is { } why)
            {
                log.Information("CRIU read the app's areas' flags from /proc/PID/smaps, whose walk of every page keeps the app frozen longer at each "
                    + "checkpoint, not with its BPF iterator: {Why}; CRIU may load the iterator only with CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN "
                    + "(docs/privileges.md). CRIU log {Log}", why, work.LogFile);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Debug("CRIU's dump log {Log} could not be read for where it took the app's areas' flags from: {Error}", work.LogFile, e.Message);
        }
    }

    /// <summary>
    /// Stores the images CRIU wrote on top of its pre-dumps as chunks: the images as the streamer would have taken them
    /// (<paramref name="captured"/> when there were none to import), and why they are not stored whole, or null.
    /// </summary>
    public static async Task<(CaptureResult? Images, string? WhyNot)> ImportAsync(DumpRun run, CaptureResult? captured, List<DirectoryHandle>? toImport)
    {
        if (toImport is null)
        {
            return (captured, null);
        }
        CaptureResult imported = await Task.Run(() => ImageImport.Import(toImport, run.Staging.Pack, new BudgetedFailure(run.Budget))).ConfigureAwait(false);
        if (imported.Error is { } notImported)
        {
            return (imported, $"the images CRIU wrote on top of its pre-dumps were not stored whole: {notImported}");
        }
        run.Stages.Lap("import");
        return (imported, null);
    }

    private string? WhyNot(DumpRun run, CriuResult dump, CaptureResult? captured, TimeSpan dumpTimeout)
    {
        if (!dump.Succeeded)
        {
            string why = dump.Describe(dumpTimeout);
            if (dump.TimedOut && dumpTimeout < config.CheckpointTimeout)
            {
                why += $" (the time left of checkpointBudget, {run.Budget.Total.TotalSeconds:0.###} s)";
            }
            return captured?.Error is { } streamError ? $"{why}; crik's image streamer: {streamError}" : why;
        }
        return captured?.Error is { } notStored ? $"the images were not stored whole: {notStored}" : null;
    }

    /// <summary>
    /// criu dump --stream, every image taken by crik's image streamer as CRIU writes it (the pagemaps kept too when the memory is
    /// still arriving, or when only what was written is dumped: crik makes them whole).
    /// </summary>
    private async Task<(CriuResult Dump, CaptureResult? Captured, List<DirectoryHandle>? ToImport)> StreamedDumpAsync(DumpRun run,
        List<ExternalMount> mounts, TimeSpan timeout, bool takesArriving, bool areaFlagsByBpf, bool writtenOnly = false, Func<Task>? whenReadOut = null)
    {
        StagingCheckpoint staging = run.Staging;
        using ImageCapture capture = ImageCapture.Start(staging.ImagesDir, staging.Pack, keepPagemaps: takesArriving || writtenOnly);
        // A streamer that cannot go on closes its pipes, and criu fails on its own; a CRIU without crik's patch, stopped at
        // once, could leave its parasite in the app, which dies of the parasite's trap. Only a criu that has not stopped by the
        // grace's end is asked to.
        using var lastResort = new CancellationTokenSource();
        using CancellationTokenRegistration graceStarts = capture.Failed.Register(() => lastResort.CancelAfter(CriuStopGrace));
        Task<CriuResult> running = criu.RunAsync(CriuArguments.Dump(run.App.Pid, staging.ImagesDir, staging.Criu, mounts, writtenOnly: writtenOnly,
            areaFlagsByBpf: areaFlagsByBpf), staging.Criu, timeout, kill: lastResort.Token);
        // A CRIU with criu-patches/0014 says when its dump succeeded and it is done with the app, before its own teardown and exit
        // (a millisecond on a VM where page tables are dear): the app is taken and let go from then, while criu ends.
        bool takenBeforeExit = whenReadOut is not null && await Task.WhenAny(running, capture.CriuDone).ConfigureAwait(false) != running
            && await capture.ReadOutWholeAsync(StreamerGrace).ConfigureAwait(false);
        if (takenBeforeExit)
        {
            await TakeAndLetGoAsync(whenReadOut!, running, capture, StreamerGrace).ConfigureAwait(false);
        }
        CriuResult dump = await running.ConfigureAwait(false);
        long criuExited = Stopwatch.GetTimestamp(); // one grace for the images from here, read out and stored
        TimeSpan GraceLeft() => TimeSpan.FromTicks(Math.Max(0, (StreamerGrace - Stopwatch.GetElapsedTime(criuExited)).Ticks));
        if (!takenBeforeExit && whenReadOut is not null && dump.Succeeded && await capture.ReadOutWholeAsync(GraceLeft()).ConfigureAwait(false))
        {
            await TakeAndLetGoAsync(whenReadOut, running, capture, GraceLeft()).ConfigureAwait(false);
        }
        return (dump, await Captured(capture, GraceLeft()).ConfigureAwait(false), null);
    }

    /// <summary>
    /// What is to be done with the app stopped, and its release (<paramref name="take"/>). When that fails, criu has ended and
    /// the capture is finished before it is told: no chunk is stored into the staging area after, nor does criu write there.
    /// </summary>
    private static async Task TakeAndLetGoAsync(Func<Task> take, Task<CriuResult> running, ImageCapture capture, TimeSpan grace)
    {
        try
        {
            await take().ConfigureAwait(false);
        }
        catch
        {
            _ = await running.ConfigureAwait(false);
            _ = await Captured(capture, grace).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// criu dump into <paramref name="directory"/>, beside the pre-dumps, of only the memory changed
    /// since the newest: the app is frozen for that alone. The files are cut into chunks afterwards
    /// (the directories to read, dump first, are the third result). <see cref="DumpPreparation.Release"/> disposes <paramref name="directory"/>.
    /// </summary>
    private async Task<(CriuResult Dump, CaptureResult? Captured, List<DirectoryHandle>? ToImport)> DumpOnPreDumpsAsync(DumpRun run,
        List<ExternalMount> mounts, TimeSpan timeout, DirectoryHandle directory, PreDumpParent parent, bool areaFlagsByBpf)
    {
        StagingCheckpoint staging = run.Staging;
        CriuResult dump = await criu.RunAsync(CriuArguments.Dump(run.App.Pid, directory.ProcPath, staging.Criu, mounts, parent, areaFlagsByBpf: areaFlagsByBpf),
            staging.Criu, timeout).ConfigureAwait(false);
        return (dump, null, preDumps!.ChainUnder(directory));
    }

    /// <summary>
    /// What the image streamer took, once criu has exited. Its pipes close with criu, so this is
    /// quick; should a process criu left behind hold one open, the checkpoint fails instead of hanging.
    /// </summary>
    private static async Task<CaptureResult> Captured(ImageCapture capture, TimeSpan grace)
    {
        try
        {
            return await capture.FinishAsync().WaitAsync(grace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return new CaptureResult([], $"an image was still open {StreamerGrace.TotalSeconds:0} s after criu exited");
        }
    }
}
