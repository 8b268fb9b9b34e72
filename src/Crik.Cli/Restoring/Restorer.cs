// Restoring/ owns choosing a checkpoint to restore and bringing the app back as crik's child.
using System.Diagnostics;
using Crik.Cli.Chunks;
using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.Decisions;
using Crik.Cli.HostCompatibility;
using Crik.Cli.ImageStore;
using Crik.Cli.Interop;
using Crik.Cli.LazyPages;
using Crik.Cli.Logging;
using Crik.Cli.Model;
using Crik.Cli.Observing;
using Crik.Cli.Processes;
using Crik.Cli.Streaming;
using Crik.Cli.Timing;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// Restores the newest whole checkpoint, so that the app continues where it stopped, as crik's child.
/// A checkpoint that cannot be restored is set aside (never deleted), so it can never cause a crash loop.
/// </summary>
internal sealed class Restorer(CrikConfig config, ICheckpointStore store, CriuRunner criu, ChildReaper reaper, ILogger log) : IAppRestorer
{
    public TimeSpan Probation => config.RestoreProbation;

    public HoldState? Holding => store.Holding;

    public bool StartsWhenUnsure => config.OnStoreUnavailable == StoreUnavailablePolicy.Start;

    public string? WhyFresh { get; private set; }

    public void RestoreSurvived(RunningApp app)
    {
        try
        {
            store.MarkRestoreSurvived();
            log.Debug("The app restored from checkpoint {Generation} ran for restoreProbation; its restore no longer counts against it", app.Generation);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("Could not record that the app restored from checkpoint {Generation} lived on: {Error}", app.Generation, e.Message);
        }
    }

    public void MemoryLoadFailed(RunningApp app, string failure)
    {
        try
        {
            store.MarkLoadFailed();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("Could not record that checkpoint {Generation} must be restored eagerly next time: {Error}", app.Generation, e.Message);
        }
        // What failed goes last: crik's own failures carry a stack.
        log.Error("Checkpoint {Generation}: the app's memory could not all be brought in, so crik killed the app before it could read a page "
            + "that never arrived. The checkpoint stays; the next pod restores it with all its memory checked first (or sets it aside "
            + "if a chunk is damaged). What failed: {Failure}", app.Generation, failure);
        Happenings.Publish(new Happening.RestoreFailed(app.Generation, Lazily: true,
            $"its memory could not all be brought in ({failure}), so crik killed the app; the next pod restores it eagerly"));
    }

    /// <summary>
    /// The restored app; null when the store answered and holds nothing to restore, or the restore
    /// failed (start fresh). Throws <see cref="RestoreFailedException"/> when the app must not start:
    /// another crik holds the image directory, crik cannot tell whether it holds a checkpoint
    /// (onStoreUnavailable: wait), or onRestoreFailure: fail.
    /// </summary>
    public async Task<RunningApp?> TryRestoreAsync(IReadOnlyList<string> command)
    {
        var stages = new StageClock();
        if (Find(command, stages) is not { } checkpoint)
        {
            return null;
        }
        try
        {
            return await RestoreAsync(checkpoint, command, stages).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The checkpoint exists: a fresh start would drop its work, and a lock that was lost may mean another pod runs the app.
            string problem = $"restoring checkpoint {checkpoint.Manifest.Generation} from {store.ImageDir} failed on an I/O error ({e.Message})";
            if (config.OnStoreUnavailable == StoreUnavailablePolicy.Wait)
            {
                throw new RestoreFailedException($"{problem}; the checkpoint stays, and crik starts nothing and exits so that Kubernetes starts this pod again "
                    + $"to restore it; {Hint()}, or set {ConfigKeys.OnStoreUnavailable}: start to start the app fresh instead");
            }
            log.Warning("{Problem}; starting the app fresh because {Key}: start asks for it, which gives up the work since that checkpoint",
                problem, ConfigKeys.OnStoreUnavailable);
            WhyFresh = $"{problem}, and {ConfigKeys.OnStoreUnavailable}: start asks for a fresh start";
            return null;
        }
    }

    /// <summary>
    /// Takes the image directory's lock for the app's life and chooses the checkpoint to restore; null
    /// when the store answered and holds none. Another crik's lock is waited for (in object storage, a
    /// lease whose holder died expires after leaseDuration), so this pod never starts a second copy.
    /// </summary>
    private CommittedCheckpoint? Find(IReadOnlyList<string> command, StageClock stages)
    {
        var waiting = Stopwatch.StartNew();
        var unsure = new StoreWait(config, store, log, waiting);
        while (true)
        {
            TimeSpan left = StoreWait.AtLeastZero(config.LockWait - waiting.Elapsed);
            try
            {
                // Every request of this try gives up by the end of lockWait, with time after it to list what the lock guards.
                using IDisposable finding = store.Within(left + ListingGrace);
                // A lease lost while the store was failing (longer than leaseDuration) is taken again, or waited for.
                if (store.Holding is null or HoldState.Lost)
                {
                    Hold(left, waiting);
                    Happenings.Publish(new Happening.LeaseChanged(LeaseState.Held));
                    stages.Lap("lock");
                }
                CommittedCheckpoint? checkpoint = store.FindRestorable(AppIdentity.Of(command));
                stages.Lap("choosing");
                if (checkpoint is null)
                {
                    log.Information("No checkpoint to restore in {Dir}; starting the app fresh", store.ImageDir);
                    WhyFresh = $"no checkpoint to restore in {store.ImageDir}";
                }
                return checkpoint;
            }
            catch (Exception e) when (e is not RestoreFailedException)
            {
                // Unknown is not empty: a store that cannot be listed, locked or read may hold the checkpoint to resume.
                log.Debug(e, "Looking for a checkpoint in {Dir} failed", store.ImageDir);
                if (!unsure.TryAgainAfter(e))
                {
                    WhyFresh = $"crik cannot tell whether {store.ImageDir} holds a checkpoint ({e.Message}), and {ConfigKeys.OnStoreUnavailable}: start asks for a fresh start";
                    return null;
                }
            }
        }
    }

    /// <summary>How long listing and reading the store may take after the lock was taken at the very end of lockWait.</summary>
    private static readonly TimeSpan ListingGrace = TimeSpan.FromSeconds(10);

    /// <summary>Takes the lock held for the app's life within <paramref name="left"/>; throws when another crik keeps it.</summary>
    private void Hold(TimeSpan left, Stopwatch waiting)
    {
        if (!store.Hold(left, stillWaiting: () =>
            {
                log.Warning("Waiting for {Dir}: another crik holds it, so its app may still run; this pod starts nothing until it is released ({Seconds:0} s of lockWait {Wait})",
                    store.ImageDir, waiting.Elapsed.TotalSeconds, config.LockWait);
                Happenings.Publish(new Happening.WaitingForLock(store.ImageDir, waiting.Elapsed, config.LockWait));
            }))
        {
            throw new RestoreFailedException($"{store.ImageDir} is still held by another crik after lockWait ({config.LockWait}): its app may still run, "
                + "and crik never starts a second copy. crik exits so that Kubernetes starts this pod again; if no other pod runs the app, "
                + (store.DeadHolderLockTime > TimeSpan.Zero ? $"its lease expires within leaseDuration ({store.DeadHolderLockTime.TotalSeconds:0} s)"
                    : "check for a process holding the volume's .lock"));
        }
    }

    private string Hint() => StoreWait.Hint(store.ImageDir);

    private async Task<RunningApp?> RestoreAsync(CommittedCheckpoint checkpoint, IReadOnlyList<string> command, StageClock stages)
    {
        using var restoring = store.Within(config.RestoreTimeout + TimeSpan.FromSeconds(10));
        Manifest manifest = checkpoint.Manifest;
        string? mismatch = CpuCompatibility.Problem(manifest.Host, HostFacts.Current());
        if (!RestoreMethod.RestoresDespite(mismatch, config.OnCpuMismatch))
        {
            return NotOnThisNode(manifest.Generation, mismatch!, checkpoint.Directory, command);
        }
        if (mismatch is not null)
        {
            log.Warning("Checkpoint {Generation}: {Mismatch}; restoring it all the same (onCpuMismatch: restore)", manifest.Generation, mismatch);
        }
        var clock = Stopwatch.StartNew();
        if (ProcessTree.InUse(manifest.TreePids) is { Count: > 0 } taken)
        {
            string why = $"PIDs {string.Join(", ", taken)} that the app needs are taken by other processes in this container";
            return Failed(manifest.Generation, clock, why, null, store.SetAside(checkpoint, $"restore failed: {why}"), command);
        }
        // Recorded before CRIU runs: a pod that dies from here on counts against this generation (restoreAttempts).
        using RestoreAttempt attempt = store.BeginRestore(checkpoint);
        stages.Lap("record");
        if (PutBackSavedFiles(attempt, stages) is { } notPutBack)
        {
            return Failed(manifest.Generation, clock, notPutBack, null, store.RestoreFailed(attempt, $"restore failed: {notPutBack}"), command);
        }
        LogRestoring(checkpoint, attempt);
        var run = new RestoreRun(checkpoint, attempt, stages, clock, reaper.Expect(manifest.RootPid));
        try
        {
            long allowed = HostMemory.LargestWritableArea();
            if (await TryLazilyAsync(run, allowed).ConfigureAwait(false) is { } lazilyRestored)
            {
                return lazilyRestored;
            }
            (CriuResult restore, string? notWhole) = await EagerlyAsync(run, allowed).ConfigureAwait(false);
            return Ended(run, restore, notWhole, command);
        }
        catch (SpawnException e)
        {
            // The checkpoint is not at fault and CRIU never ran: commit it again for a container that has CRIU.
            reaper.Forget(manifest.RootPid);
            store.CancelRestore(attempt);
            log.Error("Cannot run criu to restore checkpoint {Generation}: {Error}. The checkpoint stays in {Dir}; starting the app fresh",
                manifest.Generation, e.Message, checkpoint.Directory);
            WhyFresh = $"cannot run criu to restore checkpoint {manifest.Generation} ({e.Message}); the checkpoint stays";
            return null;
        }
    }

    /// <summary>One restore of a checkpoint under way: what each step reads, and the app's PID the reaper watches for.</summary>
    private sealed class RestoreRun(CommittedCheckpoint checkpoint, RestoreAttempt attempt, StageClock stages, Stopwatch clock, TrackedChild app)
    {
        public CommittedCheckpoint Checkpoint => checkpoint;

        public Manifest Manifest => checkpoint.Manifest;

        public RestoreAttempt Attempt => attempt;

        public StageClock Stages => stages;

        public Stopwatch Clock => clock;

        public TrackedChild App { get; set; } = app;
    }

    /// <summary>Puts back additionalPaths; null when done, else why the restore failed.</summary>
    private string? PutBackSavedFiles(RestoreAttempt attempt, StageClock stages)
    {
        try
        {
            store.PutBackSavedFiles(attempt);
            stages.Lap("files");
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot put back additionalPaths: {e.Message}";
        }
    }

    private void LogRestoring(CommittedCheckpoint checkpoint, RestoreAttempt attempt)
    {
        Manifest manifest = checkpoint.Manifest;
        if (checkpoint.Restores.Count > 0)
        {
            RestoreRecord last = checkpoint.Restores[^1];
            log.Warning("Resuming checkpoint {Generation} again: the pod that restored it{At}{Host} ended without a newer checkpoint "
                + "(restore {Number}; after {Limit} restores in a row whose pods end within restoreProbation crik gives up on it)",
                manifest.Generation, last.At is { } at ? $" at {at:u}" : "", last.Host.Length > 0 ? $" ({last.Host})" : "",
                checkpoint.Restores.Count + 1, config.RestoreAttempts);
            Happenings.Publish(new Happening.RestoreResumedAgain(manifest.Generation, checkpoint.Restores.Count + 1, config.RestoreAttempts));
        }
        log.Information("Restoring checkpoint {Generation} ({Size}, taken {Created:u}) from {Dir}",
            manifest.Generation, Size.Format(manifest.ImageBytes), manifest.CreatedAt, attempt.Path);
    }

    /// <summary>
    /// The app restored lazily, when this checkpoint is to be and can be; null when it was not, or the
    /// lazy restore failed before the app ran (what it left is gone, and the restore goes on eagerly).
    /// </summary>
    private async Task<RunningApp?> TryLazilyAsync(RestoreRun run, long allowed)
    {
        Manifest manifest = run.Manifest;
        if (!RestoreMethod.LazyWanted(manifest, config.LazyRestore))
        {
            return null;
        }
        if (RestoreMethod.WhyNotLazy(manifest, run.Checkpoint.Restores, allowed, Environment.SystemPageSize, LazyRestoreSupport.Unavailable) is { } whyNot)
        {
            log.Information("Checkpoint {Generation}: restoring it with all its memory first, not lazily: {Why}", manifest.Generation, whyNot);
            return null;
        }
        if (StartLoading(manifest, run.Attempt, run.Stages) is not { } loading)
        {
            return null;
        }
        CriuResult restore;
        try
        {
            (restore, _) = await RunCriuAsync(manifest, run.Attempt, loading.ImagesDir, run.Stages, lazyPages: true).ConfigureAwait(false);
            loading.CriuEnded();
        }
        catch
        {
            // CRIU could not be started (or crik stopped waiting for it): the fill's threads, userfaultfds, buffers and packs all go.
            await loading.AbortAsync().ConfigureAwait(false);
            throw;
        }
        if (restore.Succeeded)
        {
            await loading.HoldUserfaultsAsync().ConfigureAwait(false);
            return Restored(manifest, run.Attempt, run.Clock, run.Stages, run.App, loading);
        }
        string? fill = await loading.AbortAsync().ConfigureAwait(false);
        await ForgetFailedTreeAsync(run).ConfigureAwait(false);
        log.Warning("Checkpoint {Generation}: the lazy restore failed ({Error}; CRIU log {Log}); restoring it with all its memory first{Fill}",
            manifest.Generation, restore.Describe(config.RestoreTimeout), run.Attempt.LogPath,
            fill is null or LazyLoad.RestoreFailed ? "" : $". crik's fill of its memory failed first: {fill}");
        Happenings.Publish(new Happening.LazyRestoreFellBack(manifest.Generation, $"{restore.Describe(config.RestoreTimeout)}; CRIU log {run.Attempt.LogPath}"));
        return null;
    }

    /// <summary>
    /// Restores with all the app's memory first: from crik's image stream, or from image files written
    /// out first when this node cannot map the app's memory from a stream. Returns CRIU's result and
    /// what did not arrive whole (null when all did).
    /// </summary>
    private async Task<(CriuResult Result, string? NotWhole)> EagerlyAsync(RestoreRun run, long allowed)
    {
        Manifest manifest = run.Manifest;
        bool streamed = manifest.Files.Any(f => f.IsStreamed);
        if (RestoreMethod.FromFilesAtOnce(manifest, allowed))
        {
            log.Information("Checkpoint {Generation}: the app has a {Area} memory area, more than this node lets CRIU map from a stream "
                + "({Allowed}); restoring it from image files", manifest.Generation, Size.Format(manifest.LargestPrivateArea), Size.Format(allowed));
            return await FromImageFilesAsync(run).ConfigureAwait(false);
        }
        (CriuResult restore, string? notWhole) = await RunCriuAsync(manifest, run.Attempt, streamed ? null : run.Attempt.FilesDir, run.Stages).ConfigureAwait(false);
        if (!streamed || restore.Succeeded || !RestoreMethod.RetryFromFiles(restore.FirstError, imagesArrivedWhole: notWhole is null))
        {
            return (restore, notWhole);
        }
        // Nothing of the app ran: CRIU failed while laying out its memory. Once the failed tree is gone,
        // the same restore runs again from image files.
        await ForgetFailedTreeAsync(run).ConfigureAwait(false);
        log.Information("Checkpoint {Generation}: CRIU cannot restore this app from a stream ({Error}); restoring it from image files",
            manifest.Generation, restore.FirstError);
        return await FromImageFilesAsync(run).ConfigureAwait(false);
    }

    private async Task<(CriuResult Result, string? NotWhole)> FromImageFilesAsync(RestoreRun run)
    {
        ImageFiles files;
        try
        {
            files = store.WriteImageFiles(run.Attempt);
            run.Stages.Lap("image files");
        }
        catch (IOException e)
        {
            return (new CriuResult(default, TimeSpan.Zero, TimedOut: false, "not run"), $"writing its images out as files failed: {e.Message}");
        }
        using (files)
        {
            using (PackReader packs = store.OpenPackReader())
            {
                foreach ((string name, byte[] bytes) in CutForSharing(run.Manifest, packs))
                {
                    File.WriteAllBytes(Path.Combine(files.ImagesDir, name), bytes);
                }
            }
            return await RunCriuAsync(run.Manifest, run.Attempt, files.ImagesDir, run.Stages).ConfigureAwait(false);
        }
    }

    /// <summary>What a failed restore left is killed and its PIDs free again; the reaper then watches for the next try's app.</summary>
    private async Task ForgetFailedTreeAsync(RestoreRun run)
    {
        reaper.Forget(run.Manifest.RootPid);
        await KillLeftoversAsync(run.Manifest).ConfigureAwait(false);
        run.App = reaper.Expect(run.Manifest.RootPid);
    }

    /// <summary>The eager restore's end: the app runs, or the checkpoint is set aside and what CRIU left is killed.</summary>
    private RunningApp? Ended(RestoreRun run, CriuResult restore, string? notWhole, IReadOnlyList<string> command)
    {
        Manifest manifest = run.Manifest;
        if (restore.Succeeded && notWhole is not null)
        {
            // A chunk that fails kills criu before it has read that image, so a criu that succeeded
            // read every byte it needed, checked: the app runs, and must not be started a second time.
            log.Warning("Checkpoint {Generation}: crik's image streamer reported after criu had restored the app: {Why}; the app runs on",
                manifest.Generation, notWhole);
        }
        else if (!restore.Succeeded || notWhole is not null)
        {
            reaper.Forget(manifest.RootPid);
            KillLeftovers(manifest);
            string why = notWhole is null ? restore.Describe(config.RestoreTimeout)
                : $"an image could not be read whole, so crik stopped criu before the app ran: {notWhole}";
            return Failed(manifest.Generation, run.Clock, why, run.Attempt.LogPath, store.RestoreFailed(run.Attempt, $"restore failed: {why}"), command);
        }
        return Restored(manifest, run.Attempt, run.Clock, run.Stages, run.App, loading: null);
    }

    /// <summary>The app runs again: from here nothing may fail the restore, or the supervisor would start a second copy.</summary>
    private RunningApp Restored(Manifest manifest, RestoreAttempt attempt, Stopwatch clock, StageClock stages, TrackedChild app, LazyLoad? loading)
    {
        try
        {
            store.RestoreSucceeded(attempt);
        }
        catch (Exception e)
        {
            log.Warning("Could not keep CRIU's restore log of checkpoint {Generation}: {Error}", manifest.Generation, e.Message);
        }
        stages.Lap("log");
        log.Information("Restored checkpoint {Generation} in {Seconds:0.00} s{Lazily}: the app runs again as PID {Pid}; CRIU log {Log}. Stages: {Stages}; crik's CPU {Cpu}",
            manifest.Generation, clock.Elapsed.TotalSeconds,
            loading is null ? "" : $", lazily ({Size.Format(loading.LazyBytes)} of its memory to come on demand and in the background{Shared(loading)}{FilledFirst(loading, manifest)})",
            manifest.RootPid, attempt.LogPath, stages.ToString(), StageClock.Milliseconds(stages.CrikCpu));
        Happenings.Publish(new Happening.Restored(manifest.Generation, loading is not null, clock.Elapsed, CrikUptime.Elapsed, manifest.RootPid));
        // What the app touches first now is what the next lazy restore reads first; until it is seen, what was seen before.
        Func<IReadOnlyList<TouchedRange>?> firstTouched = loading is null
            ? () => manifest.FirstTouched
            : () => loading.FirstTouched() is { Count: > 0 } seen ? seen : manifest.FirstTouched;
        return new RunningApp(manifest.RootPid, app.Exited, manifest.Command, manifest.Generation,
            loading is null ? null : LoadedAsync(loading, manifest.Generation), firstTouched);
    }

    /// <summary>
    /// Lays out the images for a lazy restore and listens for the restore to hand crik the app's
    /// memory; null (with the reason logged) when that cannot be done, and the restore is eager.
    /// </summary>
    private LazyLoad? StartLoading(Manifest manifest, RestoreAttempt attempt, StageClock stages)
    {
        PackReader packs = store.OpenPackReader(callerRetries: true);
        LazyImages? images = null;
        try
        {
            using (PackReader layout = store.OpenPackReader())
            {
                images = LazyImages.Write(manifest, layout, packs, ForkSharing.Plan);
            }
            if (manifest.FirstTouched is { Count: > 0 } touched)
            {
                images.ChooseFirstTouched(touched);
            }
            else
            {
                images.ChooseFirstWritten(manifest.Generation);
            }
            var outage = new StoreOutage(config.LazyStoreWait, news => ToldOfStore(manifest.Generation, news));
            LazyLoad loading = LazyLoad.Start(images, packs, attempt.Criu, manifest.FirstTouched, why => KillRestored(manifest, why), outage);
            stages.Lap("lazy images");
            return loading;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
        {
            images?.Dispose();
            packs.Dispose();
            log.Warning("Checkpoint {Generation}: cannot restore it lazily ({Error}); restoring it with all its memory first", manifest.Generation, e.Message);
            return null;
        }
    }

    private static string Shared(LazyLoad loading) =>
        loading.SharedBytes == 0 ? "" : $"; the {Size.Format(loading.SharedBytes)} its forked processes may share with their parents brought in before it ran";

    private static string FilledFirst(LazyLoad loading, Manifest manifest) =>
        loading.FilledFirst is not { Chunks: > 0 } first ? ""
        : manifest.FirstTouched is { Count: > 0 } ? $"; the {Size.Format(first.Bytes)} it touched first after its last restore filled first"
        : $"; the {Size.Format(first.Bytes)} it wrote since the previous checkpoint filled first";

    /// <summary>What became of the memory (<see cref="LazyLoad.Loaded"/>), once logged when it is all in.</summary>
    private async Task<string?> LoadedAsync(LazyLoad loading, long generation)
    {
        string? failure = await loading.Loaded.ConfigureAwait(false);
        if (failure is null)
        {
            (TimeSpan reading, TimeSpan copying) = loading.Time;
            log.Information("Checkpoint {Generation}: the app's memory is all in, {Seconds:0.00} s after the restore began "
                + "({Copied} copied in; the app waited for a page {Faults} times; {Readers} threads read and checked chunks for {Reading:0.00} s, "
                + "and copied them in for {Copying:0.00} s)", generation, loading.Elapsed.TotalSeconds, Size.Format(loading.CopiedBytes), loading.Faults,
                loading.ReaderThreads, reading.TotalSeconds, copying.TotalSeconds);
            Happenings.Publish(new Happening.RestoreMemoryAllIn(generation, loading.Elapsed));
        }
        return failure;
    }

    /// <summary>The image store stopped answering while the app's memory arrives, still does not, or is back: in the log, an Event and the metrics.</summary>
    private void ToldOfStore(long generation, OutageNews news)
    {
        switch (news.Stage)
        {
            case OutageStage.Began:
                log.Warning("Checkpoint {Generation}: the image store stopped answering while the app's memory arrives ({Why}); the app waits for the pages "
                    + "it touches, and crik tries again for up to lazyStoreWait ({Patience})", generation, news.Why, Seconds(news.Patience));
                break;
            case OutageStage.Still:
                log.Warning("Checkpoint {Generation}: still waiting for the image store after {Seconds:0} s ({Why}); the app waits, and crik gives up "
                    + "after lazyStoreWait ({Patience})", generation, news.Lasted.TotalSeconds, news.Why, Seconds(news.Patience));
                break;
            case OutageStage.Over:
                log.Information("Checkpoint {Generation}: the image store answers again after {Seconds:0.0} s (last failure: {Why}); the app's memory arrives again",
                    generation, news.Lasted.TotalSeconds, news.Why);
                break;
        }
        Happenings.Publish(new Happening.StoreOutageWhileLoading(generation, news.Stage == OutageStage.Over, news.Lasted, news.Patience, news.Why));
    }

    private static string Seconds(TimeSpan time) => $"{time.TotalSeconds:0} s";

    /// <summary>Kills whatever of the restored app runs: its memory cannot all arrive, and it must never read a page that did not.</summary>
    private void KillRestored(Manifest manifest, string why)
    {
        log.Debug("Killing the restored app: {Why}", why);
        Posix.TrySignal(-manifest.RootPid, Signal.SIGKILL);
        foreach (int pid in ProcessTree.Processes(manifest.RootPid).Concat(manifest.TreePids))
        {
            Posix.TrySignal(pid, Signal.SIGKILL);
        }
    }

    /// <summary>
    /// Runs criu restore: from <paramref name="imageFiles"/> when given, otherwise from crik's image
    /// streamer (a chunk that fails its check kills criu while it still waits for that chunk: CRIU
    /// resumes the tree only after reading every image, so the app never runs on a corrupt or missing
    /// byte). Returns CRIU's result and, for a stream, what did not arrive whole (null when all did).
    /// </summary>
    private async Task<(CriuResult Result, string? NotWhole)> RunCriuAsync(Manifest manifest, RestoreAttempt attempt, string? imageFiles, StageClock stages,
        bool lazyPages = false)
    {
        string imagesDir = imageFiles ?? attempt.ImagesDir;
        // A try before this one (a lazy restore that failed at its very end) may have left CRIU's pid file, and CRIU will not write over one.
        File.Delete(Path.Combine(attempt.Criu.Path, RestoreAttempt.PidFileName));
        var arguments = CriuArguments.Restore(imagesDir, attempt.Criu, RestoreAttempt.PidFileName, manifest.ExternalMounts,
            CriuArguments.InheritedStdio(manifest.Stdio), streamed: imageFiles is null, lazyPages);
        using PackReader packs = store.OpenPackReader();
        using ImageServer? server = imageFiles is null ? ImageServer.Start(imagesDir, manifest, packs, CutForSharing(manifest, packs)) : null;
        CriuResult result;
        // A socket the app listened on is restored in the pod's network namespace, where crik's /metrics also listens.
        using (MetricsServing.StepAside())
        {
            result = await criu.RunAsync(arguments, attempt.Criu, config.RestoreTimeout, keepStdio: true,
                kill: server?.Failed ?? CancellationToken.None).ConfigureAwait(false);
        }
        string? notWhole = server is null ? null : await Served(server).ConfigureAwait(false);
        stages.Lap(server?.Times is { } streamed ? $"criu (streamed {streamed})" : "criu");
        return (result, notWhole);
    }

    /// <summary>
    /// The mm images cut so that an eager restore keeps what the app's processes shared (<see cref="ForkSharing"/>);
    /// none when they cannot be read here (the restore then reads them as they are, and fails on them as it would).
    /// </summary>
    private Dictionary<string, byte[]> CutForSharing(Manifest manifest, PackReader packs)
    {
        if (!manifest.Files.Any(f => f.IsStreamed))
        {
            return [];
        }
        try
        {
            return DumpedMemory.CutForSharing(manifest, packs, ForkSharing.Plan);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            log.Warning("Checkpoint {Generation}: could not read its processes' memory maps to keep what they share ({Error}); restoring them as they are", manifest.Generation, e.Message);
            return [];
        }
    }

    /// <summary>Kills what a failed restore left and waits (up to 5 s) until its PIDs are free again.</summary>
    private async Task KillLeftoversAsync(Manifest manifest)
    {
        KillLeftovers(manifest);
        var clock = Stopwatch.StartNew();
        while (ProcessTree.InUse(manifest.TreePids).Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    /// <summary>Null when the image streamer handed CRIU every image whole; it ends with criu, or fails after a grace period.</summary>
    private static async Task<string?> Served(ImageServer server)
    {
        try
        {
            return await server.FinishAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return "an image was still being sent 10 s after criu exited";
        }
        catch (Exception e)
        {
            return $"crik's image streamer failed: {e.Message}";
        }
    }

    /// <summary>
    /// A failed or killed restore can leave restored processes behind; they must not run beside the
    /// fresh start that follows. The app's PIDs were free before CRIU ran, so whatever holds them
    /// now came from this restore.
    /// </summary>
    private void KillLeftovers(Manifest manifest)
    {
        List<int> left = ProcessTree.InUse(manifest.TreePids);
        foreach (int pid in left)
        {
            Posix.TrySignal(pid, Signal.SIGKILL);
        }
        if (left.Count > 0)
        {
            log.Warning("Killed {Count} processes left by the failed restore of checkpoint {Generation} (PIDs {Pids})",
                left.Count, manifest.Generation, string.Join(", ", left));
        }
    }

    /// <summary>
    /// A checkpoint this node cannot run: CRIU never sees it, and it stays where it is (it is whole,
    /// and a node like the one it was taken on can restore it). Then onRestoreFailure applies.
    /// </summary>
    private RunningApp? NotOnThisNode(long generation, string mismatch, string directory, IReadOnlyList<string> command)
    {
        string message = $"not restoring checkpoint {generation} on this node: {mismatch}. It stays in {directory} for a node that has them "
            + "(onCpuMismatch: restore restores it anyway)";
        if (config.OnRestoreFailure == RestoreFailurePolicy.Fail)
        {
            throw new RestoreFailedException(message + " (onRestoreFailure: fail)");
        }
        log.Error("{Message}; starting {Command} fresh (onRestoreFailure: fresh)", message, string.Join(' ', command));
        WhyFresh = $"checkpoint {generation} cannot run on this node and stays for one that can (onRestoreFailure: fresh)";
        return null;
    }

    private RunningApp? Failed(long generation, Stopwatch clock, string why, string? logFile, string movedTo, IReadOnlyList<string> command)
    {
        string message = $"restoring checkpoint {generation} failed after {clock.Elapsed.TotalSeconds:0.00} s: {why}; "
            + (logFile is null ? "" : $"CRIU log {logFile}; ") + $"the checkpoint is set aside at {movedTo}";
        Happenings.Publish(new Happening.RestoreFailed(generation, Lazily: false, message));
        if (config.OnRestoreFailure == RestoreFailurePolicy.Fail)
        {
            throw new RestoreFailedException(message + " (onRestoreFailure: fail)");
        }
        log.Error("{Message}; starting {Command} fresh (onRestoreFailure: fresh)", message, string.Join(' ', command));
        WhyFresh = $"checkpoint {generation} could not be restored and is set aside (onRestoreFailure: fresh)";
        return null;
    }
}
