using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Decisions;
using Crik.Cli.ImageStore;
using Crik.Cli.LazyPages;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// Makes room for the IDs a restore gives back, before CRIU runs. As PID 1, crik first moves the PID namespace's
/// counter past the highest of them (and past <see cref="PidCounter.FirstAppPid"/>): nothing crik or CRIU starts
/// from then on can take one, and every thread and child the restored app makes later gets an ID above them, so the
/// next pod's crik, whose own threads take the lowest IDs, never holds one its restore needs. Close below pid_max, where the
/// counter would wrap around among IDs of a checkpoint taken after a wrap, it goes where the app needs none (<see cref="PidCounterPlacement"/>).
/// </summary>
internal sealed class PidRoom(ICheckpointReader store, ILogger log)
{
    /// <summary>How long crik waits for a process of its own (CRIU's kernel probes) that holds an ID the app needs to end.</summary>
    private static readonly TimeSpan HelperWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Null when every ID the app needs is free; else who holds which (<see cref="PidsInUse"/>). The IDs are <paramref name="tree"/>'s
    /// where <see cref="ReadTree"/> could read them, else the manifest's.
    /// </summary>
    public Held? Make(CommittedCheckpoint checkpoint, RestoredIds? tree)
    {
        List<int> ids = (tree?.All ?? checkpoint.Manifest.TreePids).Where(id => id > 0).ToList();
        if (ids.Count == 0)
        {
            return null;
        }
        int highest = ids.Max(), pidMax = PidCounter.Max();
        if (highest >= pidMax && PidCounter.TryRaiseMax(highest, log) is { } notRaised)
        {
            return new Held(PidsInUse.AbovePidMax(highest, pidMax, notRaised), OnlyCriksThreads: false);
        }
        if (Environment.ProcessId == 1)
        {
            int last = PidCounterPlacement.Last(ids, PidCounter.FirstAppPid, PidCounter.Max());
            PidCounter.MovePast(last, $"the IDs of checkpoint {checkpoint.Manifest.Generation}'s processes and threads", log);
        }
        List<int> held = HeldAfterHelpers(ids, checkpoint.Manifest.Generation);
        if (held.Count == 0)
        {
            return null;
        }
        var own = ProcessTree.Threads(Environment.ProcessId).ToHashSet();
        List<int> byCrik = held.Where(own.Contains).ToList(), byOthers = held.Where(id => !own.Contains(id)).ToList();
        return new Held(PidsInUse.Why(byCrik, byOthers)!, OnlyCriksThreads: byOthers.Count == 0);
    }

    /// <summary>Who holds IDs the app needs, and whether it is crik's own threads alone (a new crik program frees them).</summary>
    public sealed record Held(string Why, bool OnlyCriksThreads);

    /// <summary>
    /// The IDs still held once crik's own processes that held some (they end by themselves) have ended: its children and
    /// theirs (CRIU's kernel probes fork children of their own). A holder that crik's walk missed, since its parent ended and
    /// it moved to crik in between, shows on the next look: a verdict of others holding IDs takes the same IDs twice.
    /// </summary>
    private List<int> HeldAfterHelpers(List<int> ids, long generation)
    {
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        List<int>? heldByOthersBefore = null;
        while (true)
        {
            List<int> held = ProcessTree.InUse(ids);
            bool helperHolds = held.Count > 0 && held.Intersect(CriksHelpers()).Any();
            held = ProcessTree.InUse(held); // a holder that ended meanwhile freed its ID for good: the counter runs where the app needs none
            bool settled = held.Count == 0 || (!helperHolds && heldByOthersBefore is not null && heldByOthersBefore.SequenceEqual(held));
            if (settled || waiting.Elapsed > HelperWait)
            {
                if (waiting.Elapsed > TimeSpan.FromSeconds(1))
                {
                    log.Information("Checkpoint {Generation}: waited {Seconds:0.0} s for processes of crik's own to free IDs the app needs", generation,
                        waiting.Elapsed.TotalSeconds);
                }
                return held;
            }
            heldByOthersBefore = helperHolds ? null : held;
            Thread.Sleep(10);
        }
    }

    /// <summary>Every process and thread below crik: what it started, and what those started.</summary>
    private static HashSet<int> CriksHelpers()
    {
        int self = Environment.ProcessId;
        return ProcessTree.PidsAndThreadsOf(ProcessTree.Processes(self).Where(pid => pid != self)).ToHashSet();
    }

    /// <summary>
    /// The IDs CRIU gives back and its root, as its pstree image lists them where the image was streamed into the packs (read as
    /// the restore's own layout reads it). Null for a generation of image files, or an image that cannot be read here (the
    /// restore then says why itself): then the manifest's list stands in; from 2026-11-28 on it is read from the stopped tree,
    /// as CRIU dumped it.
    /// </summary>
    public RestoredIds? ReadTree(CommittedCheckpoint checkpoint)
    {
        Manifest manifest = checkpoint.Manifest;
        ManifestFile? pstree = manifest.Files.FirstOrDefault(f => f.Path == ProcessTreeImage.Name && f.IsStreamed);
        if (pstree is null)
        {
            return null;
        }
        try
        {
            using PackReader packs = store.OpenPackReader();
            return ProcessTreeImage.RootAndIds(DumpedMemory.ReadSmall(pstree, manifest, packs));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or OverflowException or UnauthorizedAccessException
            or System.Net.Sockets.SocketException)
        {
            // A damaged image is the restore's to find and say: here the manifest's list stands in.
            log.Warning("Checkpoint {Generation}: cannot read the IDs of its processes from {Image} ({Error}); using its manifest's", manifest.Generation,
                ProcessTreeImage.Name, e.Message);
            return null;
        }
    }
}
