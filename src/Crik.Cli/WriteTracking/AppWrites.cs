using Crik.Cli.Chunks;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Crik.Cli.Streaming;
using Crik.Cli.Timing;
using Serilog;

namespace Crik.Cli.WriteTracking;

/// <summary>What the app wrote since its last committed checkpoint, as far as crik tracked it (<see cref="AppWrites.Take"/>).</summary>
/// <param name="WrittenBytes">Of the tracked processes, the bytes of the pages written (and those crik cannot vouch for).</param>
/// <param name="Untracked">How many of the app's processes crik has no tracking of since that checkpoint: all their memory counts as written.</param>
internal sealed record WrittenSinceCommit(long WrittenBytes, int Processes, int Untracked)
{
    /// <summary>Whether every process was tracked since the last committed checkpoint, so that <see cref="WrittenBytes"/> is all the app wrote.</summary>
    public bool Whole => Untracked == 0 && Processes > 0;

    /// <summary>Nothing read: what the app wrote is not known.</summary>
    public static readonly WrittenSinceCommit Untold = new(0, 0, 0);
}

/// <summary>What one process wrote, copied while it ran on: the ranges, in address order, whose bytes in that order the chunks hold.</summary>
/// <param name="Skipped">The pages of the scan that could not be read (unmapped meanwhile): their protection lifted, the dump reads them.</param>
/// <param name="All">The copy is of all of the process's memory, written or not (no committed checkpoint holds what it did not write):
/// a page the dump leaves in its parent comes from here, or the checkpoint cannot be made whole.</param>
internal sealed record CopiedWrites(List<AddressRange> Ranges, IReadOnlyList<ChunkRef> Chunks, long Skipped, bool All = false)
{
    public long Bytes => Ranges.Sum(r => (long)r.Bytes);
}

/// <summary>
/// The app's writes between its checkpoints, process by process (<see cref="ProcessWrites"/>): taken at each checkpoint while
/// the app is stopped, and armed again there for the next; or, for a process whose writes the checkpoint's copy scanned while
/// it ran, protected again by that scan, so that the stopped app is spared a walk of its memory. What a checkpoint that is
/// not committed saw written stays counted toward the next one. A process crik cannot track (a kernel before 6.7, userfaultfd refused, an area already another
/// userfaultfd's) is counted as having written all its memory; why is logged once. Disposed, it lets go of every process's
/// userfaultfd; a checkpoint still under way (one abandoned when the lease was lost) then finds every process untracked.
/// </summary>
internal sealed class AppWrites(ILogger log) : IDisposable
{
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(2);

    private readonly Dictionary<int, Tracked> _byPid = [];
    private readonly HashSet<string> _toldWhy = [];
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <summary>
    /// The checkpoint committed when crik last write-protected the app's memory, and not since: a page of a process that is
    /// still write-protected holds what this checkpoint holds at its address. Null when there is none (no commit since crik
    /// protected the memory at a checkpoint that was not committed, or nothing protected yet).
    /// </summary>
    public Manifest? ProtectedAt { get; private set; }

    /// <summary>
    /// At a checkpoint, with every process of <paramref name="pids"/> stopped: what each wrote since the last committed
    /// checkpoint, and every one armed for the next (a process new to crik from here on), unless <paramref name="runsOn"/> is
    /// false: an app that does not run on after this checkpoint has no next one to count for, so none is armed or protected again.
    /// </summary>
    /// <param name="areasOf">Each process's areas, read while it was stopped (<see cref="HeldTree"/>); read here when not given.</param>
    public WrittenSinceCommit Take(IReadOnlyList<int> pids, bool runsOn = true, Func<int, List<MapsArea>>? areasOf = null)
    {
        lock (_gate)
        {
            return _disposed ? new WrittenSinceCommit(0, pids.Count, pids.Count) : TakeOf(pids, runsOn, areasOf ?? MemoryMaps.Read);
        }
    }

    private WrittenSinceCommit TakeOf(IReadOnlyList<int> pids, bool runsOn, Func<int, List<MapsArea>> areasOf)
    {
        foreach (int gone in _byPid.Keys.Except(pids).ToList())
        {
            Forget(gone);
        }
        long written = 0;
        int untracked = 0;
        ProtectedAt = null;
        foreach (int pid in pids)
        {
            string start = ProcessStart.Of(pid);
            if (_byPid.TryGetValue(pid, out Tracked? tracked) && tracked.Start == start && TryTake(tracked, runsOn, areasOf) is { } since)
            {
                // One armed after the last commit keeps its tracking, but what it wrote before the arming is unknown.
                written += tracked.Whole ? since.Sum(r => (long)r.Bytes) : 0;
                untracked += tracked.Whole ? 0 : 1;
                continue;
            }
            Forget(pid); // a PID taken by another process since, or one whose tracking failed
            untracked++;
            if (runsOn && start.Length > 0 && TryStart(pid, stopped: true) is { } started)
            {
                _byPid[pid] = new Tracked(start, started);
            }
        }
        return new WrittenSinceCommit(written, pids.Count, untracked);
    }

    /// <summary>
    /// Before a checkpoint's dump, with the app running: what each process of <paramref name="pids"/> tracked since the last
    /// commit wrote, its pages protected again and copied into <paramref name="chunker"/>'s pack, so that the dump reads only
    /// what is written from the scan on. Every page of a scan is either copied or has its protection lifted; a process crik
    /// cannot copy is let go of (its memory untracked, the dump reads all of it). A dump after this one cannot take what was
    /// not written from the last commit alone: <see cref="ProtectedAt"/> is cleared until the next commit.
    /// </summary>
    /// <remarks>
    /// With no committed checkpoint that crik protected the memory at (<see cref="ProtectedAt"/> null: the app's first checkpoint
    /// in this pod, fresh or restored, or the first after one that was not committed), there is nothing for the pages the app
    /// did not write to come from: the copy takes all of each process's memory, written or not, arming the processes it does not
    /// track yet, so that the dump reads only what the app writes after the copy's scan instead of all of its memory.
    /// </remarks>
    /// <param name="enough">Says when the copy has taken long enough, or must make way: what is not copied by then is left to the dump.</param>
    /// <param name="all">Copies all memory even where <see cref="ProtectedAt"/> holds what the app did not write: its pages are in
    /// too many pieces to be taken from it again, and cannot be gathered while the app runs.</param>
    /// <returns>
    /// The copies by PID; and, when a process still running was let go of after its scan, why the dump must read all of the
    /// app's memory: what it wrote since the last commit is protected again, and should another hold on its userfaultfd keep
    /// its areas registered, the dump would take those pages from a checkpoint that does not hold them.
    /// </returns>
    public (Dictionary<int, CopiedWrites> Copies, string? ReadAll) CopyWhileRunning(IReadOnlyList<int> pids, ImageChunker chunker, IEnoughRead? enough = null, bool all = false)
    {
        lock (_gate)
        {
            var copies = new Dictionary<int, CopiedWrites>();
            if (_disposed)
            {
                return (copies, null);
            }
            all |= ProtectedAt is null;
            ProtectedAt = null;
            (List<(int Pid, Tracked Tracked, List<AddressRange> Written)> scanned, string? readAll) = all ? ScanAllWhileRunning(pids) : ScanWhileRunning(pids, again: false);
            TestDelay.BeforeCopyRead();
            return Copy(scanned, readAll, chunker, enough, all, pid => $"pages-copied-{pid}.img");
        }
    }

    /// <summary>
    /// Another pass of the copy before a checkpoint's dump (<see cref="CopyWhileRunning"/>), the app running on: what each process
    /// the copy scanned wrote since that scan, protected again and copied into <paramref name="chunker"/>'s pack, so that the dump
    /// reads only what is written from this scan on. Returns as <see cref="CopyWhileRunning"/> does.
    /// </summary>
    /// <param name="pass">This pass's number (2 for the first one again), which names its images.</param>
    public (Dictionary<int, CopiedWrites> Copies, string? ReadAll) CopyAgainWhileRunning(IReadOnlyList<int> pids, ImageChunker chunker, int pass, IEnoughRead? enough)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return ([], null);
            }
            (List<(int Pid, Tracked Tracked, List<AddressRange> Written)> scanned, string? readAll) = ScanWhileRunning(pids, again: true);
            return Copy(scanned, readAll, chunker, enough, all: false, pid => $"pages-copied-{pid}-{pass}.img");
        }
    }

    /// <summary>
    /// The pages each scanned process wrote, copied by PID; a process that cannot be copied is let go of, and why the dump must then
    /// read all memory joins <paramref name="readAll"/>, the scan's own.
    /// </summary>
    private (Dictionary<int, CopiedWrites> Copies, string? ReadAll) Copy(List<(int Pid, Tracked Tracked, List<AddressRange> Written)> scanned, string? readAll,
        ImageChunker chunker, IEnoughRead? enough, bool all, Func<int, string> imageName)
    {
        var copies = new Dictionary<int, CopiedWrites>();
        foreach ((int pid, Tracked tracked, List<AddressRange> written) in scanned)
        {
            try
            {
                using var pages = new WrittenPagesStream(tracked.Writes, written, enough);
                ManifestFile file = chunker.Take(imageName(pid), pages);
                copies[pid] = new CopiedWrites(pages.Copied, file.Chunks ?? [], pages.Skipped, all);
            }
            catch (Exception e)
            {
                LetGoAfterScan(pid, tracked, e, ref readAll);
                if (!IsTrackingFailure(e))
                {
                    throw;
                }
            }
        }
        return (copies, readAll);
    }

    /// <summary>
    /// Lets go of a process whose pages a scan protected again, every such process; unless it is gone, why the dump must read all
    /// memory becomes <paramref name="readAll"/>, where no earlier process gave a reason.
    /// </summary>
    private void LetGoAfterScan(int pid, Tracked tracked, Exception e, ref string? readAll)
    {
        Forget(pid);
        LostTrack(pid, e);
        if (readAll is null && ProcessStart.Of(pid) == tracked.Start)
        {
            readAll = $"crik could not copy what process {pid} wrote: {e.Message}";
        }
    }

    /// <summary>
    /// Each tracked process's pages written since the last commit, protected again, counted toward the next commit; a process
    /// with a file open for direct I/O is left to the dump (<see cref="DirectIo"/>). Why the dump must read all memory, when a
    /// scan failed (<see cref="LetGoAfterScan"/>: it may have protected some pages), or a file was open for direct I/O across a
    /// scan of a process: after the first pass's, or found once the scan is over (a read in flight across it lands unseen).
    /// </summary>
    /// <param name="again">For another pass of the copy (<see cref="CopyAgainWhileRunning"/>): each process the pass before scanned,
    /// its pages written since that scan.</param>
    private (List<(int Pid, Tracked Tracked, List<AddressRange> Written)> Scanned, string? ReadAll) ScanWhileRunning(IReadOnlyList<int> pids, bool again)
    {
        var scanned = new List<(int, Tracked, List<AddressRange>)>();
        string? readAll = null;
        foreach (int pid in pids)
        {
            if (!_byPid.TryGetValue(pid, out Tracked? tracked) || !(again ? tracked.ScannedByCopy : tracked.Whole) || tracked.Start != ProcessStart.Of(pid))
            {
                continue; // the dump's take sorts it out
            }
            if (DirectIo.Of(pid) is { } direct)
            {
                if (again)
                {
                    LetGoForDirectIo(pid, tracked, direct, ref readAll);
                }
                else
                {
                    TellDirectIo(pid, direct);
                }
                continue;
            }
            try
            {
                List<AddressRange> written = tracked.Writes.TakeWrittenWhileRunning();
                _ = tracked.CountWritten(written);
                tracked.ScannedByCopy = true;
                if (!OpenForDirectIoAfterTheScan(pid, tracked, ref readAll))
                {
                    scanned.Add((pid, tracked, written));
                }
            }
            catch (Exception e) when (IsTrackingFailure(e))
            {
                LetGoAfterScan(pid, tracked, e, ref readAll);
            }
        }
        return (scanned, readAll);
    }

    /// <summary>
    /// For a copy of all memory (<see cref="CopyWhileRunning"/>): each process of <paramref name="pids"/>, armed now where crik
    /// does not track it yet, scanned for every page that holds its data, which is protected. A process with a file open for
    /// direct I/O, or one crik cannot track, is not armed, and the dump reads all of its memory. Why the dump must read all of
    /// the app's memory, when a process armed before cannot be copied: its protected pages would come from nowhere.
    /// </summary>
    private (List<(int Pid, Tracked Tracked, List<AddressRange> Held)> Scanned, string? ReadAll) ScanAllWhileRunning(IReadOnlyList<int> pids)
    {
        var scanned = new List<(int, Tracked, List<AddressRange>)>();
        string? readAll = null;
        foreach (int pid in pids)
        {
            string start = ProcessStart.Of(pid);
            Tracked? tracked = _byPid.TryGetValue(pid, out Tracked? known) && known.Start == start ? known : null;
            if (DirectIo.Of(pid) is { } direct)
            {
                TellDirectIo(pid, direct);
                if (tracked is not null)
                {
                    LetGoAfterScan(pid, tracked, new IOException($"process {pid} has {direct}"), ref readAll);
                }
                continue;
            }
            if (tracked is null)
            {
                Forget(pid);
                if (start.Length == 0 || TryStart(pid, stopped: false) is not { } started)
                {
                    continue;
                }
                tracked = _byPid[pid] = new Tracked(start, started);
            }
            try
            {
                List<AddressRange> held = tracked.Writes.TakeAllWhileRunning();
                _ = tracked.CountWritten(held);
                tracked.Whole = false; // what it wrote since the last commit is not known
                tracked.ScannedByCopy = true;
                if (!OpenForDirectIoAfterTheScan(pid, tracked, ref readAll))
                {
                    scanned.Add((pid, tracked, held));
                }
            }
            catch (Exception e) when (IsTrackingFailure(e))
            {
                LetGoAfterScan(pid, tracked, e, ref readAll);
            }
        }
        return (scanned, readAll);
    }

    /// <summary>
    /// An app restored stopped, its memory all in, before it first runs: each process of <paramref name="restored"/> armed, the pages
    /// it held when CRIU's restore ended counted as written (their protection lifted, so that the dump reads them), and the
    /// checkpoint it was restored from made <see cref="ProtectedAt"/>, where at least one process could be armed. A process crik
    /// cannot arm is left to the next checkpoint's dump, as one born since is. Returns how many were armed.
    /// </summary>
    public int FromRestore(RestoredMemory restored)
    {
        lock (_gate)
        {
            if (_disposed || _byPid.Count > 0)
            {
                return 0; // only before any tracking: the restore is this pod's first word on the app's memory
            }
            foreach ((int pid, List<AddressRange> written) in restored.InAtCriusEnd)
            {
                string start = ProcessStart.Of(pid);
                if (start.Length == 0 || TryStart(pid, stopped: true) is not { } started)
                {
                    continue;
                }
                try
                {
                    written.ForEach(started.Unprotect);
                }
                catch (Exception e) when (IsTrackingFailure(e))
                {
                    started.Dispose();
                    LostTrack(pid, e);
                    continue;
                }
                var tracked = _byPid[pid] = new Tracked(start, started) { Whole = true };
                _ = tracked.CountWritten(written);
            }
            ProtectedAt = _byPid.Count > 0 ? restored.Checkpoint : null;
            return _byPid.Count;
        }
    }

    /// <summary>A checkpoint is committed: from here on, writes count from it.</summary>
    /// <param name="protectedByIt"><see cref="Take"/> was called for it, with its dump's app still stopped: it is <see cref="ProtectedAt"/>.</param>
    public void Committed(Manifest committed, bool protectedByIt)
    {
        lock (_gate)
        {
            ProtectedAt = protectedByIt && !_disposed ? committed : null;
            foreach (Tracked tracked in _byPid.Values)
            {
                tracked.SinceCommitted.Clear();
                tracked.Whole = true;
            }
        }
    }

    /// <summary>
    /// Before a checkpoint's dump, with the app running: closes every copy of crik's userfaultfds that a process of the tree
    /// rooted at <paramref name="root"/> got by forking while a process crik tracks held one (a fork still under way when crik
    /// last looked shows its child only later), since CRIU cannot dump a process holding one. A copy crik cannot close is said
    /// once; the dump then fails with CRIU's word for it.
    /// </summary>
    public void CloseForkedCopies(int root)
    {
        lock (_gate)
        {
            if (_byPid.Count == 0)
            {
                return;
            }
            List<int> tree = ProcessTree.Processes(root);
            foreach (Tracked tracked in _byPid.Values)
            {
                try
                {
                    tracked.Writes.CloseCopiesIn(root, tree, StopWait);
                }
                catch (Exception e) when (IsTrackingFailure(e))
                {
                    TellOnce("copy", e.Message);
                }
            }
        }
    }

    /// <summary>Lets go of every process's userfaultfd: crik is done with the app.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            ProtectedAt = null;
            foreach (int pid in _byPid.Keys.ToList())
            {
                Forget(pid);
            }
        }
    }

    /// <summary>
    /// What <paramref name="tracked"/> wrote since the last commit (or its arming, when later), with what it wrote since the last
    /// take; null when its tracking failed. A process the copy scanned is not walked again: what it wrote since that scan counts
    /// toward the next checkpoint, whose copy reports it.
    /// </summary>
    private List<AddressRange>? TryTake(Tracked tracked, bool armAgain, Func<int, List<MapsArea>> areasOf)
    {
        bool scannedByCopy = tracked.ScannedByCopy;
        tracked.ScannedByCopy = false;
        try
        {
            ProcessWrites writes = tracked.Writes;
            return tracked.CountWritten(armAgain && scannedByCopy ? writes.TakeLeftToTheNextCopy(areasOf(writes.Pid)) : writes.TakeWritten(armAgain, areasOf(writes.Pid)));
        }
        catch (Exception e) when (IsTrackingFailure(e))
        {
            LostTrack(tracked.Writes.Pid, e);
            return null;
        }
    }

    /// <param name="stopped">The process cannot run: it is armed now, its areas read once. A running one is armed by the copy's scan.</param>
    private ProcessWrites? TryStart(int pid, bool stopped)
    {
        try
        {
            return stopped ? ProcessWrites.StartArmed(pid, StopWait) : ProcessWrites.Start(pid, StopWait);
        }
        catch (Exception e) when (IsTrackingFailure(e))
        {
            TellOnce("cannot", $"crik cannot track which pages the app writes, so its checkpoints count all of its memory as written: {e.Message}");
            return null;
        }
    }

    /// <summary>What tracking a process can meet (it ends, /proc reads odd, the kernel refuses): never a reason for the checkpoint to fail.</summary>
    private static bool IsTrackingFailure(Exception e) =>
        e is IOException or UnauthorizedAccessException or FormatException or OverflowException or InvalidOperationException;

    private void Forget(int pid)
    {
        if (_byPid.Remove(pid, out Tracked? tracked))
        {
            tracked.Writes.Dispose();
        }
    }

    /// <summary>
    /// Whether process <paramref name="pid"/> has a file open for direct I/O once its scan is over: a read of it may have been in
    /// flight across the scan, so the process is let go of and the dump reads all memory.
    /// </summary>
    private bool OpenForDirectIoAfterTheScan(int pid, Tracked tracked, ref string? readAll)
    {
        if (DirectIo.Of(pid) is not { } direct)
        {
            return false;
        }
        LetGoForDirectIo(pid, tracked, direct, ref readAll);
        return true;
    }

    /// <summary>A process scanned by the copy has a file open for direct I/O: it is let go of, and the dump reads all memory.</summary>
    private void LetGoForDirectIo(int pid, Tracked tracked, string direct, ref string? readAll)
    {
        TellDirectIo(pid, direct);
        LetGoAfterScan(pid, tracked,
            new IOException($"process {pid} has {direct} since the copy of what it wrote began, and a read of it may have landed unseen"), ref readAll);
    }

    private void TellDirectIo(int pid, string direct) =>
        TellOnce("direct", $"crik leaves what process {pid} wrote to the dump, with the app stopped: it has {direct}, whose reads land "
            + "in its memory without a page fault, so a copy made while it runs could miss one");

    private void LostTrack(int pid, Exception e) => TellOnce("lost", $"crik lost track of process {pid}'s writes: {e.Message}; its memory counts as written");

    /// <summary>Logs <paramref name="why"/> the first time one of its <paramref name="kind"/> comes: every checkpoint would say it again.</summary>
    private void TellOnce(string kind, string why)
    {
        if (_toldWhy.Add(kind))
        {
            log.Information("{Why}", why);
        }
    }

    /// <param name="start">The process's start (/proc/PID/stat), to tell it from a later process with its PID.</param>
    private sealed class Tracked(string start, ProcessWrites writes)
    {
        public string Start => start;

        public ProcessWrites Writes => writes;

        /// <summary>The pages written since the last committed checkpoint, merged.</summary>
        public List<AddressRange> SinceCommitted { get; } = [];

        /// <summary>Counts <paramref name="written"/> toward the next commit: what was written since the last one, merged.</summary>
        public List<AddressRange> CountWritten(IEnumerable<AddressRange> written)
        {
            List<AddressRange> since = AddressRange.Merge(SinceCommitted.Concat(written));
            SinceCommitted.Clear();
            SinceCommitted.AddRange(since);
            return since;
        }

        /// <summary>Whether it was tracked since the last committed checkpoint (false for one armed after it: what it wrote before is unknown).</summary>
        public bool Whole { get; set; }

        /// <summary>Whether a copy scanned it, protecting its written pages again, since the last take.</summary>
        public bool ScannedByCopy { get; set; }
    }
}
