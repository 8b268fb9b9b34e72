using System.Diagnostics;
using Crik.Cli.Chunks;
using Crik.Cli.Guarding;
using Crik.Cli.Configuration;
using Crik.Cli.Decisions;
using Crik.Cli.Criu;
using Crik.Cli.ImageStore;
using Crik.Cli.LazyPages;
using Crik.Cli.Logging;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Crik.Cli.Streaming;
using Crik.Cli.Timing;
using Crik.Cli.WriteTracking;
using Serilog;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// The checkpoint a dump of only what the app wrote takes the rest from, and its pagemaps by PID when they were read already;
/// with no <see cref="Manifest"/>, the dump takes the rest from crik's copy of all of the app's memory, made while it ran.
/// </summary>
/// <param name="Copied">By PID, that checkpoint's pages with crik's copy of what the process wrote since laid over them (<see cref="CopiedLayer"/>).</param>
/// <param name="GatherPieces">Set when its pages are in so many pieces that this checkpoint gathers them into whole chunks again while the app
/// runs (<see cref="GatheredLayer"/>): how many pieces.</param>
internal sealed record PreviousCheckpoint(Manifest? Manifest, Dictionary<int, PagemapImage>? Pagemaps, IReadOnlyDictionary<int, PagesLayer>? Copied = null,
    int? GatherPieces = null)
{
    /// <summary>What the app's writes count from, for the log.</summary>
    public string Since => Manifest is { } previous ? $"checkpoint {previous.Generation}" : "crik's copy of all of its memory";

    /// <summary>Why the copy takes all of the app's memory, for the log; null when it takes what the app wrote since <see cref="Manifest"/>.</summary>
    public string? WhyAll { get; private init; }

    /// <summary>The dump takes what the app did not write from crik's copy of all of its memory, made while it runs, for <paramref name="why"/>.</summary>
    public static PreviousCheckpoint CopyOfAll(string why) => new(null, []) { WhyAll = why };
}

/// <summary>
/// A checkpoint's side of trackWrites: whether its dump holds only the pages the app wrote since the previous checkpoint,
/// making such a dump whole from that checkpoint (<see cref="UnwrittenImages"/>), and, with the app stopped, what it wrote
/// since and the tracking armed for the next (<see cref="AppWrites"/>, which it owns: disposed, it lets go of the app's
/// userfaultfds).
/// </summary>
/// <param name="criuCan">Whether this CRIU has crik's patch for dumps of written pages, asked once, beside the first dump.</param>
internal sealed class TrackedWrites(CrikConfig config, ICheckpointReader store, Lazy<Task<bool>> criuCan, ILogger log) : IDisposable
{
    private readonly AppWrites _writes = new(log);
    private readonly string? _whyNotTracking = WriteTrackingChoice.WhyNot(config.TrackWrites, crikIsInit: Environment.ProcessId == 1);
    private bool _toldCriuCannot, _toldWhyNot;

    /// <summary>
    /// The least of checkpointBudget left for crik to copy what the app wrote before the dump. The copy takes at most a third of
    /// what is left, and leaves what it has not copied by then to the dump.
    /// </summary>
    private static readonly TimeSpan CopyBudget = TimeSpan.FromSeconds(3);

    private bool Tracking => _whyNotTracking is null;

    /// <summary>
    /// The previous checkpoint when the dump may hold only what the app wrote since (the rest taken from it), with what the app
    /// wrote since copied while it runs (<see cref="CopyWhileRunning"/>); else null. Where the app runs on after the checkpoint,
    /// the chunks the copy and a gather store yield the CPU to it (<see cref="YieldingWork"/>); before a checkpoint after which it
    /// ends, they take what they can get, as the time to the commit counts. The reads of the app's memory never yield: they hold
    /// its memory's locks, and a write of the app's that waits for one would wait for crik's lowered priority.
    /// </summary>
    public async Task<PreviousCheckpoint?> BeforeDumpAsync(DumpRun run, DumpSetup setup)
    {
        PreviousCheckpoint? copied = await PreviousAsync(run, setup).ConfigureAwait(false) is { } previous
            ? CopyWhileRunning(run, previous, yielding: AfterCheckpoint.ResumedOnceCaptured(run.Reason)) : null;
        CloseForkedCopies(run); // the copy may have made userfaultfds in processes that fork
        return copied;
    }

    /// <inheritdoc cref="AppWrites.CloseForkedCopies"/>
    public void CloseForkedCopies(DumpRun run) => _writes.CloseForkedCopies(run.App.Pid);

    /// <summary>The previous checkpoint when the dump may hold only what the app wrote since (the rest taken from it), else null.</summary>
    private async Task<PreviousCheckpoint?> PreviousAsync(DumpRun run, DumpSetup setup)
    {
        bool can = Tracking && await criuCan.Value.ConfigureAwait(false);
        bool memoryArriving = run.Attempt.TakesArriving is not null, onPreDumps = setup.OnTop is not null;
        bool runsOn = AfterCheckpoint.ResumedOnceCaptured(run.Reason);
        string? whyWhole = WrittenOnlyDump.WhyWhole(Tracking, can, _writes.ProtectedAt is not null, runsOn, memoryArriving, onPreDumps);
        if (whyWhole is null && _writes.ProtectedAt is null)
        {
            if (run.Budget.Remaining >= CopyBudget)
            {
                return PreviousCheckpoint.CopyOfAll("no checkpoint since crik began tracking its writes holds what it did not write");
            }
            whyWhole = "too little of checkpointBudget is left to copy its memory while it runs";
        }
        if (whyWhole is null && _writes.ProtectedAt is { } protectedAt && NotReusable(protectedAt, run.Staging.Pack) is { } chunk)
        {
            whyWhole = $"chunk {chunk} of checkpoint {protectedAt.Generation} may not be reused: a checkpoint set aside refers to the same stored copy";
            if (run.Budget.Remaining >= CopyBudget)
            {
                return PreviousCheckpoint.CopyOfAll(whyWhole); // whole chunks of this checkpoint's own, with the app running on
            }
        }
        if (whyWhole is null && _writes.ProtectedAt is { } previous)
        {
            (int pieces, bool fragmented) = CheckpointFragmentation.Of(previous);
            bool gather = fragmented && AfterCheckpoint.ResumedOnceCaptured(run.Reason);
            string? notGathered = gather ? WhyNotGatherWhileRunning(run) : null;
            Dictionary<int, PagemapImage>? pagemaps = notGathered is null ? PagemapsOf(previous) : null;
            notGathered ??= gather && pagemaps is null ? "its pagemaps could not be read while the app ran" : null;
            if (notGathered is null)
            {
                return new PreviousCheckpoint(previous, pagemaps, GatherPieces: gather ? pieces : null);
            }
            whyWhole = WrittenOnlyDump.WhyNotGathered(pieces, notGathered);
            if (run.Budget.Remaining >= CopyBudget)
            {
                // Whole chunks again, from the app's memory instead of the previous checkpoint's pieces, with the app running on.
                return PreviousCheckpoint.CopyOfAll(whyWhole);
            }
            log.Information("Checkpoint {Generation} reads all of the app's memory: {Why}", run.Generation, whyWhole);
        }
        log.Debug("Checkpoint {Generation} reads all of the app's memory: {Why}", run.Generation, _whyNotTracking ?? whyWhole);
        if (!Tracking && config.TrackWrites != WriteTrackingMode.Off && !_toldWhyNot)
        {
            _toldWhyNot = true;
            log.Information("crik does not track which pages the app writes, so each checkpoint reads all of its memory: {Why}", _whyNotTracking);
        }
        if (Tracking && !can && !_toldCriuCannot)
        {
            _toldCriuCannot = true;
            log.Information("Each checkpoint reads all of the app's memory: {Why}, so CRIU cannot leave out what the app did not write", whyWhole);
        }
        return null;
    }

    /// <summary>
    /// The first chunk of <paramref name="previous"/>'s pages that <paramref name="pack"/> may not refer to (one whose stored copy a
    /// checkpoint set aside since refers to, <see cref="ImageStore.ReusableChunks"/>), by the start of its name; null when it may refer to all.
    /// </summary>
    private static string? NotReusable(Manifest previous, PackWriter pack) =>
        CheckpointFragmentation.PagesImages(previous).SelectMany(f => f.Chunks!)
            .FirstOrDefault(c => c.Pack != pack.Generation && !pack.MayReuse(c))?.ShortId;

    /// <summary>Why a fragmented previous checkpoint cannot be gathered while the app runs, before its pagemaps are read; null when it can.</summary>
    private string? WhyNotGatherWhileRunning(DumpRun run)
    {
        using PackReader packs = store.OpenPackReader(); // opens no pack until a chunk is read
        return packs.ReadsWaitOnNetwork ? "crik gathers them only from a volume: from object storage it would read all of them back, one request a chunk"
            : run.Budget.Remaining < CopyBudget ? "too little of checkpointBudget is left to do it while the app runs"
            : null;
    }

    /// <summary>
    /// Before the dump, the app running on: what it wrote since <paramref name="previous"/>, copied into this checkpoint's pack,
    /// so that the dump, with the app stopped, reads only what it writes from here on. The previous checkpoint with the copies
    /// laid over it; itself when its pagemaps were not read (nothing is copied); null when a copy was made but cannot be laid
    /// over it: then the dump must read all of the app's memory.
    /// </summary>
    private PreviousCheckpoint? CopyWhileRunning(DumpRun run, PreviousCheckpoint previous, bool yielding)
    {
        if (previous.Pagemaps is not { } pagemaps || run.Budget.Remaining < CopyBudget)
        {
            // Without a previous checkpoint, what the copy does not take must be read by the dump.
            return previous.Manifest is null ? null : previous;
        }
        long started = Stopwatch.GetTimestamp();
        List<Dictionary<int, CopiedWrites>> passes;
        IReadOnlyDictionary<int, PagesLayer> gathered;
        string? readAll;
        // A third of the budget left, at most a day (a timer takes no more than 49 days, and checkpointBudget has no bound).
        using (var budget = new CancellationTokenSource(TimeSpan.FromTicks(Math.Min((run.Budget.Remaining / 3).Ticks, TimeSpan.TicksPerDay))))
        using (var chunker = new ImageChunker(run.Staging.Pack, new FirstFailure(), yielding))
        {
            var enough = new EnoughBeforeTheDump(run.Attempt, budget.Token);
            (gathered, readAll) = previous is { GatherPieces: { } pieces, Manifest: { } manifest }
                ? Gather(run, manifest, pieces, pagemaps, chunker, enough) : (new Dictionary<int, PagesLayer>(), null);
            if (readAll is not null)
            {
                if (budget.IsCancellationRequested)
                {
                    log.Information("Checkpoint {Generation} reads all of the app's memory: {Why}", run.Generation, readAll);
                    return null;
                }
                // The gather failed: whole chunks again from the app's memory instead, with the app running on.
                (previous, gathered, readAll) = (PreviousCheckpoint.CopyOfAll(readAll), new Dictionary<int, PagesLayer>(), null);
            }
            started = Stopwatch.GetTimestamp();
            (passes, readAll) = CopyInPasses(run, chunker, enough, all: previous.Manifest is null);
        }
        run.Stages.Lap("copy");
        var layers = new Dictionary<int, PagesLayer>();
        string? notLaidOver = readAll ?? LaidOver(previous, pagemaps, gathered, passes, run.Staging.Pack, layers);
        run.Stages.Lap("laying over");
        if (notLaidOver is { } why)
        {
            log.Information("Checkpoint {Generation} reads all of the app's memory: what crik copied while the app ran cannot be laid over "
                + "{Previous}: {Error}", run.Generation, previous.Since, why);
            return null;
        }
        log.Information(previous.Manifest is null
                ? "Copied {Size} of the app's memory while it ran, all of it ({Why}), in {Ms} ms{Passes}{Skipped}"
                : "Copied {Size} the app wrote since {Previous} while it ran, in {Ms} ms{Passes}{Skipped}",
            Size.Format(passes.Sum(p => p.Values.Sum(c => c.Bytes))), previous.WhyAll ?? previous.Since,
            (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, passes.Count > 1 ? $" and {passes.Count} passes" : "",
            Skipped(passes.Sum(p => p.Values.Sum(c => c.Skipped)), run.Attempt.SigtermWaiting));
        TestDelay.BeforeFreezeAfterCopy();
        return previous with { Copied = layers };
    }

    /// <summary>
    /// The copy's passes (<see cref="CopyPasses"/>): the first, then each pass over what the app wrote during the one before, while
    /// that one took long; why the dump must read all of the app's memory, when a pass could not copy a process it scanned.
    /// </summary>
    private (List<Dictionary<int, CopiedWrites>> Passes, string? ReadAll) CopyInPasses(DumpRun run, ImageChunker chunker, EnoughBeforeTheDump enough, bool all)
    {
        List<int> processes = ProcessTree.Processes(run.App.Pid);
        long passStarted = Stopwatch.GetTimestamp();
        (Dictionary<int, CopiedWrites> first, string? readAll) = _writes.CopyWhileRunning(processes, chunker, enough, all);
        var passes = new List<Dictionary<int, CopiedWrites>> { first };
        while (readAll is null && CopyPasses.Another(passes.Count, Stopwatch.GetElapsedTime(passStarted), enough.Enough))
        {
            passStarted = Stopwatch.GetTimestamp();
            (Dictionary<int, CopiedWrites> again, readAll) = _writes.CopyAgainWhileRunning(processes, chunker, passes.Count + 1, enough);
            passes.Add(again);
            log.Information("Copied again {Size} the app wrote during the copy's pass {Pass}, in {Ms} ms", Size.Format(again.Values.Sum(c => c.Bytes)),
                passes.Count - 1, (long)Stopwatch.GetElapsedTime(passStarted).TotalMilliseconds);
        }
        return (passes, readAll);
    }

    /// <summary>
    /// The previous checkpoint's pages of each of its processes gathered into whole chunks of this checkpoint's pack
    /// (<see cref="GatheredLayer"/>), the app running on; why the dump must read all of its memory instead, when they cannot be.
    /// </summary>
    private (IReadOnlyDictionary<int, PagesLayer> Gathered, string? ReadAll) Gather(DumpRun run, Manifest previous, int pieces,
        Dictionary<int, PagemapImage> pagemaps, ImageChunker chunker, EnoughBeforeTheDump enough)
    {
        long started = Stopwatch.GetTimestamp(), storedBefore = run.Staging.Pack.WrittenBytes;
        var gathered = new Dictionary<int, PagesLayer>();
        try
        {
            using PackReader packs = store.OpenPackReader();
            TestDelay.BeforeGather();
            FaultSeam.FailIo("gather");
            foreach ((int pid, PagemapImage pagemap) in pagemaps)
            {
                gathered[pid] = GatheredLayer.Of(PagesLayer.Of(previous, pagemap, pid), previous.KeyId, packs, chunker, run.Staging.Pack.Generation,
                    $"pages-gathered-{pid}.img", enough);
            }
        }
        catch (OperationCanceledException) when (run.Attempt.SigtermWaiting)
        {
            log.Information("Checkpoint {Generation} leaves checkpoint {Previous}'s pieces as they are: a SIGTERM came, which crik handles once this "
                + "checkpoint is done", run.Generation, previous.Generation);
            return (new Dictionary<int, PagesLayer>(), null);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ChunkException or UnauthorizedAccessException or OperationCanceledException)
        {
            string why = e is OperationCanceledException ? "gathering them took a third of what was left of checkpointBudget" : e.Message;
            return (gathered, WrittenOnlyDump.WhyNotGathered(pieces, $"crik could not gather them while the app ran: {why}"));
        }
        finally
        {
            run.Stages.Lap("gather");
        }
        log.Information("Gathered checkpoint {Previous}'s pages, in {Pieces} pieces, into {Chunks} chunks while the app ran, in {Ms} ms ({Stored} stored anew)",
            previous.Generation, pieces, gathered.Values.Sum(l => l.Chunks.Count),
            (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, Size.Format(run.Staging.Pack.WrittenBytes - storedBefore));
        return (gathered, null);
    }

    /// <summary>
    /// Each process's layer for the dump, into <paramref name="layers"/>: its gathered pages (<paramref name="gathered"/>) or the
    /// previous checkpoint's, with crik's copy laid over them (<see cref="CopiedLayer"/>) where it has one, spliced ahead for
    /// <paramref name="pack"/> (<see cref="SplicedLayer"/>); why not, when one cannot be.
    /// </summary>
    private static string? LaidOver(PreviousCheckpoint previous, Dictionary<int, PagemapImage> pagemaps, IReadOnlyDictionary<int, PagesLayer> gathered,
        List<Dictionary<int, CopiedWrites>> passes, PackWriter pack, Dictionary<int, PagesLayer> layers)
    {
        try
        {
            foreach ((int pid, PagesLayer layer) in gathered)
            {
                layers[pid] = layer;
            }
            foreach ((int pid, CopiedWrites copy) in passes[0])
            {
                PagesLayer under = copy.All ? PagesLayer.Empty : gathered.GetValueOrDefault(pid) ?? Previous(previous, pagemaps, pid);
                PagesLayer layer = CopiedLayer.Of(under, copy);
                foreach (Dictionary<int, CopiedWrites> later in passes.Skip(1))
                {
                    // A later pass copied what was written after the pass before it read the page: its copy is the newer.
                    layer = later.TryGetValue(pid, out CopiedWrites? again) ? CopiedLayer.Of(layer, again) : layer;
                }
                layers[pid] = SplicedLayer.Of(layer, pack);
            }
            return null;
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentOutOfRangeException)
        {
            return e.Message;
        }
    }

    /// <summary>Process <paramref name="pid"/>'s pages as the previous checkpoint holds them; throws when it does not hold the process.</summary>
    private static PagesLayer Previous(PreviousCheckpoint previous, Dictionary<int, PagemapImage> pagemaps, int pid) =>
        previous.Manifest is { } manifest && pagemaps.GetValueOrDefault(pid) is { } before ? PagesLayer.Of(manifest, before, pid)
            : throw new InvalidDataException($"process {pid} is tracked, but {previous.Since} does not hold it");

    private static string Skipped(long pages, bool sigterm) => pages == 0 ? ""
        : sigterm ? $" ({pages} pages left to the dump: a SIGTERM came, which crik handles once this checkpoint is done)"
        : $" ({pages} pages, unmapped meanwhile or not read in time, left to the dump)";

    /// <summary>The pagemaps of <paramref name="previous"/>, read while the app still runs; null when they cannot be (the dump reads them again, and fails if it cannot).</summary>
    private Dictionary<int, PagemapImage>? PagemapsOf(Manifest previous)
    {
        try
        {
            var files = previous.Files.Where(f => f.IsStreamed && !f.Path.Contains('/')).ToList();
            using PackReader packs = store.OpenPackReader();
            return DumpedMemory.Pagemaps(files, previous, packs);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or UnauthorizedAccessException or ChunkException)
        {
            log.Debug("Could not read the pagemaps of checkpoint {Generation} before the dump: {Error}", previous.Generation, e.Message);
            return null;
        }
    }

    /// <summary>
    /// A dump of only what the app wrote, made whole from <paramref name="previousCheckpoint"/>: the images, or why they cannot be
    /// (a page crik could not place), to be failed. It reads only the dump's images and the previous checkpoint, not the app,
    /// so it runs on a core of its own while the app's files and writes are taken.
    /// </summary>
    public (CaptureResult? Images, string? NotWhole) Complete(DumpRun run, CaptureResult captured, PreviousCheckpoint previousCheckpoint)
    {
        Manifest? previous = previousCheckpoint.Manifest;
        try
        {
            using PackReader packs = store.OpenPackReader();
            (CaptureResult whole, long fromPrevious) = UnwrittenImages.Complete(captured, previous, previousCheckpoint.Pagemaps, previousCheckpoint.Copied,
                packs, run.Staging.Pack);
            log.Information(previous is null
                    ? "CRIU read only what the app wrote since {Previous} before the dump: {FromPrevious} of its memory is taken from that copy{AndCopy}"
                    : "CRIU read only what the app wrote since {Previous}: {FromPrevious} of its memory is taken from that checkpoint's chunks{AndCopy}",
                previousCheckpoint.Since, Size.Format(fromPrevious),
                previous is not null && previousCheckpoint.Copied is { Count: > 0 } ? " and crik's copy of what the app wrote before the dump" : "");
            return (whole, null);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or UnauthorizedAccessException or ChunkException)
        {
            // The next dump copies or reads all of the memory: the tracking is armed again at this one, which is not committed.
            return (null, $"the pages the app did not write since {previousCheckpoint.Since} could not be taken from it: {e.Message}");
        }
    }

    /// <summary>
    /// What the app wrote since its last committed checkpoint, read while it is stopped, and the tracking armed for the next; null
    /// for a checkpoint after which the app ends, where nothing is armed and the figure is only told: <see cref="TellWhileCommitting"/>
    /// reads it then, off the way to the commit.
    /// </summary>
    public WrittenSinceCommit? Take(DumpRun run, HeldTree held)
    {
        List<int> processes = held.Processes;
        if (!Tracking)
        {
            return new WrittenSinceCommit(0, processes.Count, processes.Count);
        }
        if (TellsWhileCommitting(run))
        {
            return null;
        }
        WrittenSinceCommit written = _writes.Take(processes, runsOn: true, held.AreasOf);
        run.Stages.Lap("writes");
        return written;
    }

    /// <summary>
    /// Whether what the app wrote is read beside the commit (<see cref="TellWhileCommitting"/>), not before it: where writes are
    /// tracked and the app ends after the checkpoint, so that nothing is armed again and the figure is only told.
    /// </summary>
    public bool TellsWhileCommitting(DumpRun run) => Tracking && !AfterCheckpoint.ResumedOnceCaptured(run.Reason);

    /// <summary>
    /// What the app, stopped for good by a checkpoint after which it ends, wrote since its last committed checkpoint: read on
    /// another core while the commit writes and waits for the disk (a scan of all of its memory took 7-30 ms of a 2 GiB app's
    /// SIGTERM checkpoint). Only told, so it never fails: a scan that cannot be made says nothing of what the app wrote.
    /// </summary>
    public Task<WrittenSinceCommit> TellWhileCommitting(DumpRun run) => Task.Run(() =>
    {
        List<int> processes = [];
        try
        {
            TestDelay.BeforeTellScan();
            processes = ProcessTree.Processes(run.App.Pid);
            return _writes.Take(processes, runsOn: false);
        }
        catch (Exception e)
        {
            log.Debug(e, "Checkpoint {Generation}: what the app wrote since the previous checkpoint could not be read", run.Generation);
            return new WrittenSinceCommit(0, processes.Count, processes.Count);
        }
    });

    /// <summary>
    /// An app restored stopped on crik's fill, its memory all in, before it first runs: its writes are tracked from here, so that
    /// its next checkpoint reads only what it writes (and the pages in when CRIU's restore ended) and takes the rest from the
    /// checkpoint it was restored from, instead of copying all of its memory first. Whether it does was decided before
    /// <paramref name="restored"/> was read (<see cref="Restoring.FilledRestore"/>). Never throws: the app runs either way, and a
    /// process crik could not arm is read whole by the next dump.
    /// </summary>
    public void FromRestore(RestoredMemory restored)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            int armed = _writes.FromRestore(restored);
            log.Information("Checkpoint {Generation}: crik tracks what the restored app writes from before it runs ({Armed} of {Processes} processes, {Ms:0} ms), "
                + "so its next checkpoint takes what the app does not write from that checkpoint; the {Written} in memory when CRIU's restore ended count as written",
                restored.Checkpoint.Generation, armed, restored.InAtCriusEnd.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                Size.Format(restored.InAtCriusEndBytes));
        }
        catch (Exception e)
        {
            log.Warning("Checkpoint {Generation}: crik could not track the restored app's writes from before it runs ({Error}); its next checkpoint copies all of its memory first",
                restored.Checkpoint.Generation, e.Message);
        }
    }

    /// <summary>The checkpoint is committed: writes count from it, and the next dump may take what the app does not write from it.</summary>
    public void Committed(Manifest committed) => _writes.Committed(committed, protectedByIt: Tracking);

    /// <summary>crik is done with the app: the tracking lets go of it.</summary>
    public void Dispose() => _writes.Dispose();
}
