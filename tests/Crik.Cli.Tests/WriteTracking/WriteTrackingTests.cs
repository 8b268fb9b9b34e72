using System.Diagnostics;
using System.Globalization;
using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Crik.Cli.Records;
using Crik.Cli.Streaming;
using Crik.Cli.WriteTracking;
using Crik.TestSupport;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace Crik.Cli.Tests.WriteTracking;

/// <summary>
/// crik's write tracking (<see cref="ProcessWrites"/>) on a real app (apps/write-tracking-app.c), linked dynamically and
/// statically: the pages it reports are those the app wrote, what it cannot vouch for counts as written, and the app goes
/// on as if nothing happened (its other thread runs, a sleep it was in sleeps out its time, no userfaultfd is left in it).
/// </summary>
[Collection("Real processes")]
public sealed class WriteTrackingTests : IDisposable
{
    private const ulong Page = 4096;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    /// <summary>How long the app may take to answer: on a CI machine whose two cores run other tests' dumps, 5 s was once too short for a stopped app to be let go and answer.</summary>
    private static readonly TimeSpan AnswerWait = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _build = new();

    [WriteTrackingFact]
    public void ThePagesReportedWrittenAreExactlyThoseTheAppWrote() => ForEachLinking(app =>
    {
        using ProcessWrites writes = ProcessWrites.Start(app.Pid, Wait);
        writes.Arm();
        app.Ask("write 10 20 3");
        Assert.Equal(Enumerable.Range(0, 20).Select(i => 10 + (i * 3)).ToList(), PagesOfA(app, writes.TakeWritten()));

        app.Ask("read 0 256");
        Assert.Empty(PagesOfA(app, writes.TakeWritten()));

        app.Ask("write 200 1 1");
        app.Ask("write 200 1 1");
        Assert.Equal([200], PagesOfA(app, writes.TakeWritten()));
    });

    [WriteTrackingFact]
    public void ATakeThatDoesNotArmAgainReportsTheSameWritesAndKeepsThemWritten() => ForEachLinking(app =>
    {
        using ProcessWrites writes = ProcessWrites.Start(app.Pid, Wait);
        writes.Arm();
        app.Ask("write 10 5 2");
        Assert.Equal([10, 12, 14, 16, 18], PagesOfA(app, writes.TakeWritten(armAgain: false)));

        // Left unprotected, those pages are reported again, with what is written since: over-counted, never missed.
        app.Ask("write 40 1 1");
        ulong fresh = ulong.Parse(app.Ask("new"), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        List<AddressRange> written = writes.TakeWritten(armAgain: false);
        Assert.Equal([10, 12, 14, 16, 18, 40], PagesOfA(app, written));
        Assert.True(Covers(written, fresh, 4), $"an area new since, never armed, is not counted written: {Show(written)}");

        // Armed again, the count starts anew.
        _ = writes.TakeWritten();
        app.Ask("write 3 1 1");
        Assert.Equal([3], PagesOfA(app, writes.TakeWritten()));
    });

    /// <summary>
    /// Taken while the app runs on (before a checkpoint's freeze): what it wrote is protected again by the same scan, an area
    /// new since is reported and tracked from then on, and a page whose protection crik lifts (one it could not copy) counts
    /// as written again. The copy reads the pages reported and leaves out one that is not mapped.
    /// </summary>
    [WriteTrackingFact]
    public void ATakeWhileTheAppRunsProtectsAgainAndAPageLetGoCountsAsWrittenAgain() => ForEachLinking(app =>
    {
        using ProcessWrites writes = ProcessWrites.Start(app.Pid, Wait);
        writes.Arm();
        app.Ask("write 10 3 1");
        ulong fresh = ulong.Parse(app.Ask("new"), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        List<AddressRange> written = writes.TakeWrittenWhileRunning();
        Assert.Equal([10, 11, 12], PagesOfA(app, written));
        Assert.True(Covers(written, fresh, 4), $"an area new since the arming is not reported: {Show(written)}");

        List<AddressRange> again = writes.TakeWrittenWhileRunning();
        Assert.True(PagesOfA(app, again).Count == 0 && !Overlaps(again, fresh, 4), $"reported again: {Show(again)}");

        writes.Unprotect(new AddressRange(app.A + (11 * Page), app.A + (12 * Page)));
        Assert.Equal([11], PagesOfA(app, writes.TakeWrittenWhileRunning()));

        AddressRange unmapped = new(Page, 2 * Page); // below mmap_min_addr: never mapped
        using var pages = new WrittenPagesStream(writes, [unmapped, .. written]);
        var copy = new MemoryStream();
        pages.CopyTo(copy, 1 << 20);
        Assert.Equal(1, pages.Skipped);
        Assert.Equal([10, 11, 12], PagesOfA(app, pages.Copied));
        Assert.Equal(pages.Copied.Sum(r => (long)r.Bytes), copy.Length);

        // Out of time before it read anything: every page is left to the dump, written again.
        app.Ask("write 20 2 1");
        List<AddressRange> late = writes.TakeWrittenWhileRunning();
        using var none = new WrittenPagesStream(writes, late, new AlreadyEnough());
        Assert.Equal(0, none.Read(new byte[1 << 20]));
        Assert.Equal(late.Sum(r => (long)r.Bytes) / (long)Page, none.Skipped);
        Assert.Equal([20, 21], PagesOfA(app, writes.TakeWrittenWhileRunning()));
    });

    /// <summary>
    /// More runs of written pages than the kernel gathers in one pass (512): the scan reports each run once, in address
    /// order. On 6.18 such a call says it stopped where its first pass did; a second call from there reported the same runs
    /// again (a scan that leaves them written finds them again), and a copy made while the app ran laid those pages out twice.
    /// </summary>
    [WriteTrackingFact]
    public void AScanOfMoreRunsThanTheKernelGathersInOnePassReportsEachRunOnceInOrder() => ForEachLinking(app =>
    {
        using ProcessWrites writes = ProcessWrites.Start(app.Pid, Wait);
        writes.Arm();
        ulong big = ulong.Parse(app.Ask("big 4096"), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        _ = writes.TakeWritten(); // area B tracked from here
        app.Ask("writebig 1 1500 2");

        using SafeFileHandle pagemap = File.OpenHandle($"/proc/{app.Pid}/pagemap");
        List<(ulong Start, ulong End)> runs = PageWrites.Written(pagemap, big, big + (4096 * Page));
        Assert.Equal(Enumerable.Range(0, 1500).Select(i => (big + ((ulong)((2 * i) + 1) * Page), big + ((ulong)((2 * i) + 2) * Page))).ToList(), runs);
    });

    /// <summary>
    /// The app's tree copied while it runs: what it wrote is copied and still counts toward the next commit, with what it
    /// writes after; and from the copy on, until the next commit, no dump may take what was not written from the last
    /// commit alone (the copy protected pages that commit does not hold).
    /// </summary>
    [WriteTrackingFact]
    public void ACopyWhileTheAppRunsCountsTowardTheNextCommitAndEndsWhatTheLastOneVouchesFor() => ForEachLinking(app =>
    {
        using var writes = new AppWrites(Serilog.Core.Logger.None);
        Assert.Equal(1, writes.Take([app.Pid]).Untracked); // armed here: what came before is not known
        var committed = new Manifest { Generation = 1 };
        writes.Committed(committed, protectedByIt: true);
        Assert.Same(committed, writes.ProtectedAt);

        app.Ask("write 10 3 1");
        string packPath = Path.Combine(_build.Path, "copy.pack");
        using var pack = new PackWriter(2, File.OpenHandle(packPath, FileMode.Create, FileAccess.ReadWrite), new Dictionary<string, ChunkRef>());
        using var chunker = new ImageChunker(pack, new FirstFailure());
        (Dictionary<int, CopiedWrites> copies, string? readAll) = writes.CopyWhileRunning([app.Pid], chunker);

        Assert.Null(readAll);
        Assert.Null(writes.ProtectedAt);
        Assert.Equal([10, 11, 12], PagesOfA(app, copies[app.Pid].Ranges));
        Assert.Equal(copies[app.Pid].Bytes, copies[app.Pid].Chunks.Sum(c => (long)c.Size));

        app.Ask("write 20 1 1");
        WrittenSinceCommit taken = writes.Take([app.Pid]);
        Assert.True(taken.Whole, $"{taken}");
        Assert.True(taken.WrittenBytes >= 3 * (long)Page, $"{taken}");

        // The take after a copy does not walk the memory again: a page written since the copy's scan stays written (the dump
        // reads it), and the next copy reports it, with nothing the first copy took.
        writes.Committed(new Manifest { Generation = 2 }, protectedByIt: true);
        (Dictionary<int, CopiedWrites> next, _) = writes.CopyWhileRunning([app.Pid], chunker);
        Assert.Equal([20], PagesOfA(app, next[app.Pid].Ranges));
    });

    /// <summary>
    /// A checkpoint takes what the app wrote from the areas it read once while the app was held (<see cref="Crik.Cli.Processes.HeldTree"/>),
    /// and a process whose areas could not be read then counts as untracked, never as having written nothing.
    /// </summary>
    [WriteTrackingFact]
    public void TheAreasReadOnceWhileTheAppIsHeldGiveItsWritesAndAProcessWithoutThemIsUntracked() => ForEachLinking(app =>
    {
        using var writes = new AppWrites(Serilog.Core.Logger.None);
        _ = writes.Take([app.Pid]);
        writes.Committed(new Manifest { Generation = 1 }, protectedByIt: true);
        app.Ask("write 10 3 1");
        Native.Signal(app.Pid, Native.SIGSTOP);
        try
        {
            var held = Crik.Cli.Processes.HeldTree.Read(app.Pid);
            WrittenSinceCommit taken = writes.Take(held.Processes, areasOf: held.AreasOf);
            Assert.True(taken.Whole, $"{taken}");
            Assert.True(taken.WrittenBytes >= 3 * (long)Page, $"{taken}");
        }
        finally
        {
            Native.Signal(app.Pid, Native.SIGCONT);
        }
        writes.Committed(new Manifest { Generation = 2 }, protectedByIt: true);
        app.Ask("write 20 1 1");

        WrittenSinceCommit unread = writes.Take([app.Pid], areasOf: pid => throw new IOException($"the memory areas of process {pid} could not be read"));

        Assert.Equal(1, unread.Untracked);
        Assert.False(unread.Whole);
        Assert.Null(writes.ProtectedAt);
    });

    /// <summary>
    /// A copy that fails after its scan (here the pack cannot be written) lets the process go, untracked, and, since the
    /// process lives on with pages protected that no checkpoint holds, says the dump must read all of the app's memory.
    /// </summary>
    [WriteTrackingFact]
    public void ACopyThatFailsForAProcessThatLivesOnMakesTheDumpReadEverything() => ForEachLinking(app =>
    {
        using var writes = new AppWrites(Serilog.Core.Logger.None);
        _ = writes.Take([app.Pid]);
        writes.Committed(new Manifest { Generation = 1 }, protectedByIt: true);
        app.Ask("write 10 3 1");
        var failed = new FirstFailure();
        failed.Fail("the disk is full");
        using var pack = new PackWriter(2, File.OpenHandle(Path.Combine(_build.Path, "failed.pack"), FileMode.Create, FileAccess.ReadWrite), new Dictionary<string, ChunkRef>());
        using var chunker = new ImageChunker(pack, failed);

        (Dictionary<int, CopiedWrites> copies, string? readAll) = writes.CopyWhileRunning([app.Pid], chunker);

        Assert.Empty(copies);
        Assert.Contains($"crik could not copy what process {app.Pid} wrote", readAll, StringComparison.Ordinal);
        Assert.Equal(1, writes.Take([app.Pid]).Untracked);
    });

    /// <summary>
    /// Asynchronous I/O can complete into the app's memory through pages the kernel pinned at its submission, without the
    /// page fault that marks a page written: a process that has it is not tracked, and one that makes it is no longer.
    /// </summary>
    [WriteTrackingFact]
    public void AProcessWithAsynchronousIoIsNotTracked() => ForEachLinking(app =>
    {
        using (ProcessWrites writes = ProcessWrites.Start(app.Pid, Wait))
        {
            writes.Arm();
            Assert.Equal("done", app.Ask("uring", raw: true));
            var lost = Assert.Throws<IOException>(() => writes.TakeWritten());
            Assert.Contains("has an io_uring", lost.Message, StringComparison.Ordinal);
        }
        var refused = Assert.Throws<IOException>(() => ProcessWrites.Start(app.Pid, Wait));
        Assert.Contains("has an io_uring", refused.Message, StringComparison.Ordinal);
    });

    /// <summary>
    /// Memory pinned for the kernel to write into, through an io_uring whose descriptor is gone (registered with the ring and
    /// closed): no descriptor shows it, only the process's VmPin. Before, crik tracked such a process and missed those writes.
    /// </summary>
    [WriteTrackingFact]
    public void AProcessWithPinnedMemoryIsNotTracked() => ForEachLinking(app =>
    {
        using (ProcessWrites writes = ProcessWrites.Start(app.Pid, Wait))
        {
            writes.Arm();
            Assert.Equal("done", app.Ask("pinned", raw: true));
            Assert.DoesNotContain(Directory.EnumerateFileSystemEntries($"/proc/{app.Pid}/fd"), fd => new FileInfo(fd).LinkTarget == "anon_inode:[io_uring]");
            var lost = Assert.Throws<IOException>(() => writes.TakeWritten());
            Assert.Contains("has 16 KiB of memory pinned for the kernel or a device to write into", lost.Message, StringComparison.Ordinal);
        }
        var refused = Assert.Throws<IOException>(() => ProcessWrites.Start(app.Pid, Wait));
        Assert.Contains("memory pinned", refused.Message, StringComparison.Ordinal);
    });

    [WriteTrackingFact]
    public void AProcessWithALinuxAioContextIsNotArmed() => ForEachLinking(app =>
    {
        Assert.Equal("done", app.Ask("aio", raw: true));
        var refused = Assert.Throws<IOException>(() => ProcessWrites.Start(app.Pid, Wait));
        Assert.Contains("has a Linux AIO context", refused.Message, StringComparison.Ordinal);
        Assert.Equal("done", app.Ask("write 0 1 1", raw: true)); // nothing was run in it: it goes on
    });

    [WriteTrackingFact]
    public void WhatCrikCannotVouchForCountsAsWritten() => ForEachLinking(app =>
    {
        using ProcessWrites writes = ProcessWrites.Start(app.Pid, Wait);
        writes.Arm();
        ulong moved = ulong.Parse(app.Ask("move"), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        app.Ask("writemoved 3"); // before Linux 6.16, a moved page written through its new area keeps its protection mark
        app.Ask("remap");
        ulong fresh = ulong.Parse(app.Ask("new"), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        app.Ask("dontneed 100 4");
        List<AddressRange> written = writes.TakeWritten();

        Assert.True(Covers(written, moved, 16), $"the area mremap moved (0x{moved:x}) is not counted written: {Show(written)}");
        Assert.True(Covers(written, app.R, 16), $"the area mapped anew in place (0x{app.R:x}) is not counted written: {Show(written)}");
        Assert.True(Covers(written, fresh, 4), $"the new area (0x{fresh:x}) is not counted written: {Show(written)}");
        // Dropped pages are gone from memory: a checkpoint holds nothing of them, and they read as zeros.
        Assert.Empty(PagesOfA(app, written));

        // Armed again, the areas new since included: nothing of them is written now.
        app.Ask("read 0 1");
        written = writes.TakeWritten();
        Assert.False(Overlaps(written, moved, 16) || Overlaps(written, app.R, 16) || Overlaps(written, fresh, 4), Show(written));
        Assert.Empty(PagesOfA(app, written));

        // A moved page written again is seen: the mark it carried from its old area was lifted when its new one was registered.
        app.Ask("writemoved 3");
        Assert.True(Covers(writes.TakeWritten(), moved + (3 * Page), 1), "a write to the moved area after it was armed is missed");

        // A dropped page written again is written, though crik never protected it.
        app.Ask("write 101 1 1");
        Assert.Equal([101], PagesOfA(app, writes.TakeWritten()));
    });

    [WriteTrackingFact]
    public void AForkedChildIsNotTrackedUntilItIsArmedItself() => ForEachLinking(app =>
    {
        using ProcessWrites parent = ProcessWrites.Start(app.Pid, Wait);
        parent.Arm();
        int child = int.Parse(app.Ask("fork"), CultureInfo.InvariantCulture);
        try
        {
            WaitUntil(() => File.ReadAllText($"/proc/{child}/stat").Contains(") S ", StringComparison.Ordinal), "the child to sleep");
            // The child's write to A went to its own copy; the parent wrote nothing of A.
            Assert.Empty(PagesOfA(app, parent.TakeWritten()));
            // A page the parent now shares copy-on-write with the child: its write is seen all the same.
            app.Ask("write 7 1 1");
            Assert.Equal([7], PagesOfA(app, parent.TakeWritten()));

            using ProcessWrites ofChild = ProcessWrites.Start(child, Wait);
            Assert.True(Covers(ofChild.TakeWritten(), app.A, 256), "the child's memory was never armed, so all of it must count as written");
            Assert.Empty(PagesOfA(app, ofChild.TakeWritten()));
        }
        finally
        {
            using Process forked = Process.GetProcessById(child);
            forked.Kill();
        }
    });

    /// <summary>
    /// A process that runs another program has new memory, which the userfaultfd crik made in the old one does not see. Before,
    /// crik went on scanning the old memory: it reported nothing written, ever, and never armed the new. Now the tracking says
    /// it lost track, so that its memory counts as written and crik arms the process anew.
    /// </summary>
    [WriteTrackingFact]
    public void AProcessThatRunsAnotherProgramIsNoLongerSaidToWriteNothing() => ForEachLinking(app =>
    {
        using ProcessWrites writes = ProcessWrites.Start(app.Pid, Wait);
        writes.Arm();
        app.Send("exec");
        Assert.StartsWith("areas ", app.NextLine(), StringComparison.Ordinal);
        var lost = Assert.Throws<IOException>(() => writes.TakeWritten());
        Assert.Contains("ran another program (exec)", lost.Message, StringComparison.Ordinal);

        using ProcessWrites again = ProcessWrites.Start(app.Pid, Wait);
        again.Arm();
        Assert.Equal("done", app.Ask("write 0 1 1", raw: true));
        Assert.NotEmpty(again.TakeWritten());
    });

    [WriteTrackingFact]
    public void TheAppGoesOnAsIfNothingHappened() => ForEachLinking(app =>
    {
        long spinsBefore = long.Parse(SpinsOf(app), CultureInfo.InvariantCulture);
        app.Send("sleep 1500");
        Thread.Sleep(300);
        using (ProcessWrites writes = ProcessWrites.Start(app.Pid, Wait))
        {
            // The sleep crik's calls interrupted started again and slept out its time.
            Assert.InRange(double.Parse(app.Answer(), CultureInfo.InvariantCulture), 1490, 5000);
            Assert.DoesNotContain(Directory.EnumerateFileSystemEntries($"/proc/{app.Pid}/fd"),
                fd => new FileInfo(fd).LinkTarget?.Contains("userfaultfd", StringComparison.Ordinal) == true);
            writes.Arm();
        }
        WaitUntil(() => long.Parse(SpinsOf(app), CultureInfo.InvariantCulture) > spinsBefore + 1000, "the app's other thread to go on spinning");
        Assert.Equal("done", app.Ask("read 0 1", raw: true));
    });

    [WriteTrackingFact]
    public void AStoppedAppIsTrackedAndStaysStopped() => ForEachLinking(app =>
    {
        // As CRIU leaves the app after a dump: every thread in a group-stop, until crik lets it go on.
        HostCommand.MustRun("kill", "-STOP", app.Pid.ToString(CultureInfo.InvariantCulture));
        WaitUntil(() => ThreadStates(app.Pid).All(state => state == 'T'), "every thread to stop");
        using ProcessWrites writes = ProcessWrites.Start(app.Pid, Wait);
        writes.Arm();
        Thread.Sleep(200);
        Assert.All(ThreadStates(app.Pid), state => Assert.Equal('T', state));
        HostCommand.MustRun("kill", "-CONT", app.Pid.ToString(CultureInfo.InvariantCulture));
        app.Ask("write 42 1 1");
        Assert.Equal([42], PagesOfA(app, writes.TakeWritten()));
    });

    /// <summary>
    /// A thread blocked in read() when a POSIX timer's signal comes, for a handler without SA_RESTART, while the app is stopped
    /// as CRIU leaves it after a dump: let go on, it runs the handler with the timer's siginfo and its read ends with EINTR.
    /// Before, crik took the signal off the thread while it ran its call, set the read to start again and sent the signal
    /// once more: the handler got crik's siginfo (no value), and the read, started again, waited for ever.
    /// </summary>
    [WriteTrackingFact]
    public void ASignalThatComesWhileCrikArmsTheAppEndsItsCallAsItWouldHaveWithoutCrik() => ForEachLinking(app =>
    {
        const int read = 0;
        Assert.Equal("eintr -2 value-kept", InterruptedWhileStopped(app, "timedread 800", read, track: false));
        Assert.Equal("eintr -2 value-kept", InterruptedWhileStopped(app, "timedread 800", read, track: true));
    });

    /// <summary>
    /// ppoll unblocks SIGALRM for the call alone, and the kernel gives the app its own mask back when the call ends, a state
    /// ptrace would undo by setting the mask. crik leaves that thread as it is and runs its call in another: the ppoll ends
    /// with EINTR, the timer's siginfo, and SIGALRM blocked again after it.
    /// </summary>
    [WriteTrackingFact]
    public void AThreadInACallWithASignalMaskOfItsOwnIsLeftAsItIs() => ForEachLinking(app =>
    {
        const int ppoll = 271;
        Assert.Equal("eintr -2 value-kept mask-kept", InterruptedWhileStopped(app, "timedppoll 800", ppoll, track: false));
        Assert.Equal("eintr -2 value-kept mask-kept", InterruptedWhileStopped(app, "timedppoll 800", ppoll, track: true));
    });

    /// <summary>
    /// The same app with no other thread: crik runs its call in the thread in ppoll, leaves its mask as it is, takes the timer's
    /// signal as it comes, and queues it again, with its siginfo, when it lets the thread go. The kernel starts the ppoll again,
    /// with its own mask, and the signal ends it as before.
    /// </summary>
    [WriteTrackingFact]
    public void AnAppWhoseOnlyThreadIsInACallWithASignalMaskOfItsOwnGetsItsSignalAsItCame()
    {
        const int ppoll = 271;
        foreach (bool statically in new[] { false, true })
        {
            using var app = TrackedApp.Start(Compile(statically), "alone");
            Assert.Single(Directory.EnumerateDirectories($"/proc/{app.Pid}/task"));
            Assert.Equal("eintr -2 value-kept mask-kept", InterruptedWhileStopped(app, "timedppoll 800", ppoll, track: false));
            Assert.Equal("eintr -2 value-kept mask-kept", InterruptedWhileStopped(app, "timedppoll 800", ppoll, track: true));
        }
    }

    [WriteTrackingFact]
    public void AnAppAnotherTracerHoldsOrThatIsGoneIsRefusedWithWhyAndLeftAsItWas()
    {
        using var app = TrackedApp.Start(Compile(statically: false));
        using (var strace = Process.Start(new ProcessStartInfo("strace", ["-f", "-o", "/dev/null", "-p", app.Pid.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardError = true,
        })!)
        {
            WaitUntil(() => File.ReadAllLines($"/proc/{app.Pid}/status").Any(l => l.StartsWith("TracerPid:", StringComparison.Ordinal) && l != "TracerPid:\t0"),
                "strace to attach");
            var refused = Assert.Throws<IOException>(() => ProcessWrites.Start(app.Pid, Wait));
            Assert.Contains("could not seize thread", refused.Message, StringComparison.Ordinal);
            strace.Kill();
            strace.WaitForExit();
        }
        Assert.Equal("done", app.Ask("write 1 1 1", raw: true)); // the app runs on, untouched

        var gone = Process.Start("true")!;
        gone.WaitForExit();
        Assert.Throws<IOException>(() => ProcessWrites.Start(gone.Id, Wait));
    }

    [WriteTrackingFact]
    public void AnAppWithASeccompFilterOfItsOwnIsNotMadeToCallWhatItMayDieOf() => ForEachLinking(app =>
    {
        Assert.Equal("done", app.Ask("seccomp", raw: true));
        var refused = Assert.Throws<IOException>(() => ProcessWrites.Start(app.Pid, Wait));
        Assert.Contains("installed seccomp filters of its own", refused.Message, StringComparison.Ordinal);
        Assert.Equal("done", app.Ask("write 3 1 1", raw: true)); // alive: its filter would have killed it at a userfaultfd
    });

    /// <summary>
    /// The app is killed before crik's call, then at each stop crik sees the thread in during the call and while it puts the
    /// thread back, after crik saw the stop and before it asked why: there the kill wakes the thread, and ptrace answers ESRCH
    /// as if it had never stopped. Whichever it is, the call fails or returns, crik lets go without a throw, and the app is
    /// reaped (a traced thread that died stays a zombie until its tracer reaps it, and its process with it).
    /// </summary>
    [WriteTrackingFact]
    public void AnAppKilledWhileCrikRunsACallInItIsReapedAsIfCrikHadNeverBeenThere()
    {
        foreach (bool leader in new[] { false, true })
        {
            for (int killAtStop = -1; ; killAtStop++)
            {
                using var app = TrackedApp.Start(Compile(statically: false));
                int tid = leader ? app.Pid : Directory.EnumerateDirectories($"/proc/{app.Pid}/task").Select(t => int.Parse(Path.GetFileName(t), CultureInfo.InvariantCulture))
                    .First(t => t != app.Pid);
                var call = AppSyscall.Stop(tid, Wait, Vdso(app.Pid));
                int stopsSeen = 0;
                AppSyscall.StopSeen = seen =>
                {
                    if (seen == tid && stopsSeen++ == killAtStop)
                    {
                        Native.Signal(app.Pid, Native.SIGKILL);
                    }
                };
                if (killAtStop < 0)
                {
                    Native.Signal(app.Pid, Native.SIGKILL);
                }

                try
                {
                    _ = call.Run(39); // getpid
                }
                catch (IOException)
                {
                    // the thread died during the call
                }
                finally
                {
                    call.Dispose(); // nothing to put back, and no throw
                    AppSyscall.StopSeen = null;
                }
                bool killed = killAtStop < stopsSeen;
                if (!killed)
                {
                    Assert.Equal("done", app.Ask("write 1 1 1", raw: true)); // the kill came after every stop: the app ran on
                    break;
                }
                string when = killAtStop < 0 ? "before the call" : $"at stop {killAtStop}";
                Assert.True(app.WaitForExit(Wait), $"the app killed {when} ({(leader ? "its main thread" : "another thread")} traced) was not reaped");
            }
        }
    }

    [CriuFact]
    public void CriuDumpsAnAppWhoseWritesCrikTracks()
    {
        using var app = TrackedApp.Start(Compile(statically: false));
        using ProcessWrites writes = ProcessWrites.Start(app.Pid, Wait);
        writes.Arm();
        app.Ask("write 5 3 1");
        string images = Path.Combine(_build.Path, "images");
        Directory.CreateDirectory(images);
        var dump = HostCommand.Run("criu", "dump", "-t", app.Pid.ToString(CultureInfo.InvariantCulture), "-D", images, "-o", "dump.log",
            "--leave-running");
        Assert.True(dump.ExitCode == 0, $"criu dump failed while crik tracked the app's writes: {File.ReadAllText(Path.Combine(images, "dump.log"))}");

        // CRIU's parasite came and went; what the app wrote is still what is reported, and it runs on.
        Assert.Equal([5, 6, 7], PagesOfA(app, writes.TakeWritten()));
        app.Ask("write 9 1 1");
        Assert.Equal([9], PagesOfA(app, writes.TakeWritten()));
    }

    public void Dispose() => _build.Dispose();

    private void ForEachLinking(Action<TrackedApp> test)
    {
        foreach (bool statically in new[] { false, true })
        {
            using var app = TrackedApp.Start(Compile(statically));
            test(app);
        }
    }

    private static string SpinsOf(TrackedApp app) => app.Ask("spins");

    /// <summary>
    /// Has the app's main thread wait in system call <paramref name="call"/> until a timer's SIGALRM ends it, stops the app
    /// (as CRIU leaves it after a dump) until the signal is pending, arms the tracking then when <paramref name="track"/>, and
    /// lets the app go on: what it says of how the call ended.
    /// </summary>
    private static string InterruptedWhileStopped(TrackedApp app, string command, int call, bool track)
    {
        string pid = app.Pid.ToString(CultureInfo.InvariantCulture);
        app.Send(command);
        WaitUntil(() => File.ReadAllText($"/proc/{pid}/syscall").StartsWith($"{call} ", StringComparison.Ordinal), $"the app to wait in system call {call}");
        HostCommand.MustRun("kill", "-STOP", pid);
        WaitUntil(() => ThreadStates(app.Pid).All(state => state == 'T'), "every thread to stop");
        // Still pending: the signal came while the app was stopped, not before.
        const ulong alarm = 1UL << (14 - 1);
        WaitUntil(() => File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("ShdPnd:", StringComparison.Ordinal))
            .Any(l => (ulong.Parse(l[7..].Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture) & alarm) != 0), "the timer's signal to be pending");
        if (track)
        {
            using ProcessWrites writes = ProcessWrites.Start(app.Pid, Wait);
            writes.Arm();
        }
        HostCommand.MustRun("kill", "-CONT", pid);
        return app.Answer();
    }

    private string Compile(bool statically)
    {
        string binary = Path.Combine(_build.Path, statically ? "write-tracking-app-static" : "write-tracking-app");
        return File.Exists(binary) ? binary
            : CompiledApp.Build("write-tracking-app.c", binary, statically ? ["-pthread", "-static"] : ["-pthread"]);
    }

    /// <summary>The pages of area A, by index, that <paramref name="written"/> covers.</summary>
    private static List<int> PagesOfA(TrackedApp app, List<AddressRange> written) =>
        Enumerable.Range(0, 256).Where(i => Overlaps(written, app.A + ((ulong)i * Page), 1)).ToList();

    private static bool Covers(List<AddressRange> ranges, ulong start, int pages) =>
        Enumerable.Range(0, pages).All(i => Overlaps(ranges, start + ((ulong)i * Page), 1));

    private static bool Overlaps(List<AddressRange> ranges, ulong start, int pages) =>
        ranges.Any(r => r.Start < start + ((ulong)pages * Page) && start < r.End);

    private static List<char> ThreadStates(int pid) => Directory.EnumerateDirectories($"/proc/{pid}/task")
        .Select(task => File.ReadAllText(Path.Combine(task, "stat")))
        .Select(stat => stat[stat.LastIndexOf(')') + 2]).ToList();

    private static string Show(List<AddressRange> ranges) => string.Join(", ", ranges.Select(r => $"0x{r.Start:x}-0x{r.End:x}"));

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Wait, $"waited {Wait.TotalSeconds} s for {what}");
            Thread.Sleep(10);
        }
    }

    /// <summary>Where process <paramref name="pid"/>'s vDSO is, as crik's tracking finds it.</summary>
    private static Crik.Cli.Interop.CodeArea Vdso(int pid) =>
        Crik.Cli.Processes.MemoryMaps.Read(pid).Where(area => area.Path == "[vdso]").Select(area => new Crik.Cli.Interop.CodeArea(area.Start, area.End)).First();

    private sealed class AlreadyEnough : IEnoughRead
    {
        bool IEnoughRead.Enough => true;
    }
}
