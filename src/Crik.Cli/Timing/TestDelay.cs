using System.Diagnostics;
using System.Globalization;

namespace Crik.Cli.Timing;

/// <summary>
/// Where the tests make crik late at the points where something else can happen before it looks, so that an order that is
/// usually rare happens every time. Debug builds only: the calls are compiled out of the shipped binary.
/// <list type="bullet">
/// <item>CRIK_TEST_EVENT_DELAY_MS: between crik's read of a userfaultfd event other than a page fault and its handling of
/// it. The kernel lets the process go on as the event is read, so what crik reads in /proc for it is the process's later
/// state.</item>
/// <item>CRIK_TEST_PROC_READ_DELAY_MS: before each read of /proc or /sys (<c>Processes/ProcFiles</c>): the processes go on
/// between any two of crik's reads.</item>
/// <item>CRIK_TEST_THREAD_START_DELAY_MS: before each of crik's own threads runs its work (<c>Guarding/BackgroundThread</c>):
/// what the thread should see first has happened long before.</item>
/// <item>CRIK_TEST_COPY_READ_PAUSE_MS: between the scan that protects again the pages the running app wrote and crik's read
/// of them, in the copy's first pass (<c>WriteTracking/AppWrites.CopyWhileRunning</c>): the app writes on meanwhile, and the
/// pass takes long enough for another to follow.</item>
/// <item>CRIK_TEST_COPY_FREEZE_PAUSE_MS: between the end of that copy and CRIU's freeze: the app writes on meanwhile.</item>
/// <item>CRIK_TEST_TELL_SCAN_PAUSE_MS: before the scan that reads what the app wrote beside the commit of a checkpoint after
/// which it ends (<c>Checkpointing/TrackedWrites.TellWhileCommitting</c>): the commit ends, or fails, and the app may be
/// killed, while the scan has not begun.</item>
/// <item>CRIK_TEST_GATHER_PAUSE_MS: before a checkpoint gathers the previous checkpoint's pieces while the app runs
/// (<c>Checkpointing/TrackedWrites</c>): a SIGTERM comes meanwhile.</item>
/// <item>CRIK_TEST_COMMIT_PAUSE_MS: before a checkpoint's commit (<c>Checkpointing/DumpAndCommit</c>): an app that runs on
/// after the checkpoint runs again already, and goes on meanwhile.</item>
/// <item>CRIK_TEST_COMMIT_AFTER_FILL_MS: before the commit of a checkpoint taken while the app's memory arrives, once its images are
/// put together (<c>Checkpointing/DumpAndCommit</c>), waits up to that long until the fill has copied something since, as a slow
/// store's commit gives it time to, however loaded the machine: a fill that did not go on meanwhile shows as 0 B filled.</item>
/// <item>CRIK_TEST_MIDFILL_PAUSE_MS: after the dump of an app whose memory still arrives, before its images are made whole from
/// the checkpoint restored (<c>Checkpointing/MemoryAsItIs.Complete</c>): pages the app's faults asked for before the dump
/// arrive meanwhile.</item>
/// <item>CRIK_TEST_PAGES_STORE_PAUSE_MS: before each chunk of a pages image is stored (<c>Streaming/ImageChunker</c>), as object
/// storage makes the store that fills a part wait for its upload: a periodic checkpoint's app runs again meanwhile.</item>
/// <item>CRIK_TEST_FILL_KILL_PAUSE_MS: once a lazily restored app's fill has failed, before crik kills the app
/// (<c>LazyPages/FillFailure</c>): the events thread sees the failure meanwhile and ends, and the app runs on.</item>
/// <item>CRIK_TEST_FAILED_FILL_PAUSE_MS: once a lazily restored app's fill has failed and crik killed the app, before crik notes the
/// failure in the image store and ends the pod (<c>Supervision/AppEnding</c>), as a slow store makes it wait: a process the kill
/// missed would run on meanwhile, its memory no longer served.</item>
/// <item>CRIK_TEST_SELF_EXEC_PAUSE_MS: after crik has taken the signals it received, before it starts its own program again
/// (<c>Processes/SelfRestart.Exec</c>): a signal sent meanwhile reaches one of crik's other threads.</item>
/// <item>CRIK_TEST_LOOP_TURN_HOLD_FILE: each time the supervisor's loop wakes, before it looks at what woke it
/// (<c>Supervision/SupervisionLoop</c>), it waits while the file this names exists, once it has said so on stderr: a
/// <c>crik checkpoint</c> request comes meanwhile, and the app's end or a SIGTERM ends the loop before the request is read.</item>
/// <item>CRIK_TEST_SAVE_HOLD_FILE: as a checkpoint saves additionalPaths, after it saw a directory and before it opens it
/// (<c>ImageStore/SaveWalk</c>), it waits while the file this names exists, once it has said so on stderr: another container
/// sharing the volume puts a link in the directory's place meanwhile.</item>
/// <item>CRIK_TEST_PUT_BACK_HOLD_FILE: as a restore puts additionalPaths back, once every file is in place and before it gives
/// the directories their saved owner and mode (<c>ImageStore/AppFiles.PutBack</c>), it waits while the file this names exists,
/// once it has said so on stderr: another container sharing the volume moves a directory away and makes its own in its place.</item>
/// <item>CRIK_TEST_WATCHDOG_STOP_PAUSE_MS: each time the lease's watchdog is told to stop, before it does
/// (<c>Supervision/LeaseWatchdog.Dispose</c>): once the app has ended, the watchdog freezes, keeps frozen and thaws meanwhile,
/// while the app's PID may be another process's.</item>
/// <item>CRIK_TEST_CONTROL_TAKE_PAUSE_MS: after the supervisor took a <c>crik checkpoint</c> request, before its checkpoint starts
/// (<c>Supervision/CheckpointRequests</c>): another request comes meanwhile.</item>
/// </list>
/// </summary>
internal static class TestDelay
{
    public const string EventVariable = "CRIK_TEST_EVENT_DELAY_MS", ProcReadVariable = "CRIK_TEST_PROC_READ_DELAY_MS",
        ThreadStartVariable = "CRIK_TEST_THREAD_START_DELAY_MS", CopyReadVariable = "CRIK_TEST_COPY_READ_PAUSE_MS",
        CopyFreezeVariable = "CRIK_TEST_COPY_FREEZE_PAUSE_MS", TellScanVariable = "CRIK_TEST_TELL_SCAN_PAUSE_MS",
        CommitVariable = "CRIK_TEST_COMMIT_PAUSE_MS", CommitAfterFillVariable = "CRIK_TEST_COMMIT_AFTER_FILL_MS", GatherVariable = "CRIK_TEST_GATHER_PAUSE_MS", PagesStoreVariable = "CRIK_TEST_PAGES_STORE_PAUSE_MS",
        MidFillVariable = "CRIK_TEST_MIDFILL_PAUSE_MS", FailedFillVariable = "CRIK_TEST_FAILED_FILL_PAUSE_MS",
        FillKillVariable = "CRIK_TEST_FILL_KILL_PAUSE_MS",
        SelfExecVariable = "CRIK_TEST_SELF_EXEC_PAUSE_MS", ControlTakeVariable = "CRIK_TEST_CONTROL_TAKE_PAUSE_MS",
        LoopTurnHoldVariable = "CRIK_TEST_LOOP_TURN_HOLD_FILE", SaveHoldVariable = "CRIK_TEST_SAVE_HOLD_FILE", PutBackHoldVariable = "CRIK_TEST_PUT_BACK_HOLD_FILE",
        WatchdogStopVariable = "CRIK_TEST_WATCHDOG_STOP_PAUSE_MS";

    private static readonly int Event = Milliseconds(EventVariable), ProcRead = Milliseconds(ProcReadVariable), ThreadStart = Milliseconds(ThreadStartVariable),
        CopyRead = Milliseconds(CopyReadVariable), CopyFreeze = Milliseconds(CopyFreezeVariable), TellScan = Milliseconds(TellScanVariable),
        Commit = Milliseconds(CommitVariable), CommitAfterFill = Milliseconds(CommitAfterFillVariable), Gather = Milliseconds(GatherVariable), PagesStore = Milliseconds(PagesStoreVariable),
        MidFill = Milliseconds(MidFillVariable), FailedFill = Milliseconds(FailedFillVariable), FillKill = Milliseconds(FillKillVariable), SelfExec = Milliseconds(SelfExecVariable),
        ControlTake = Milliseconds(ControlTakeVariable), WatchdogStop = Milliseconds(WatchdogStopVariable);

    [Conditional("DEBUG")]
    public static void AfterEventRead() => Pause(Event, EventVariable);

    [Conditional("DEBUG")]
    public static void BeforeProcRead() => Pause(ProcRead, ProcReadVariable);

    [Conditional("DEBUG")]
    public static void BeforeThreadStart() => Pause(ThreadStart, ThreadStartVariable);

    [Conditional("DEBUG")]
    public static void BeforeCopyRead() => Pause(CopyRead, CopyReadVariable);

    [Conditional("DEBUG")]
    public static void BeforeFreezeAfterCopy() => Pause(CopyFreeze, CopyFreezeVariable);

    [Conditional("DEBUG")]
    public static void BeforeTellScan() => Pause(TellScan, TellScanVariable);

    [Conditional("DEBUG")]
    public static void BeforeCommit() => Pause(Commit, CommitVariable);

    /// <param name="filledSince">Whether the fill copied something since the checkpoint let it go on (true when it holds none).</param>
    [Conditional("DEBUG")]
    public static void BeforeCommitWhileArriving(Func<bool> filledSince)
    {
        if (CommitAfterFill > 0 && !filledSince())
        {
            Console.Error.WriteLine($"crik test: waiting up to {CommitAfterFill} ms at {CommitAfterFillVariable} until the fill copies something");
            var waited = Stopwatch.StartNew();
            while (!filledSince() && waited.ElapsedMilliseconds < CommitAfterFill)
            {
                Thread.Sleep(10);
            }
        }
    }

    [Conditional("DEBUG")]
    public static void AfterControlRequestTaken() => Pause(ControlTake, ControlTakeVariable);

    [Conditional("DEBUG")]
    public static void BeforeGather() => Pause(Gather, GatherVariable);

    [Conditional("DEBUG")]
    public static void BeforePagesChunkStore() => Pause(PagesStore, PagesStoreVariable);

    [Conditional("DEBUG")]
    public static void BeforeMidFillImages() => Pause(MidFill, MidFillVariable);

    [Conditional("DEBUG")]
    public static void BeforeFailedFillNoted() => Pause(FailedFill, FailedFillVariable);

    [Conditional("DEBUG")]
    public static void BeforeFailedFillKill() => Pause(FillKill, FillKillVariable);

    [Conditional("DEBUG")]
    public static void BeforeLoopTurn() => HoldWhileTheFileExists(LoopTurnHoldVariable);

    [Conditional("DEBUG")]
    public static void BeforeSavedDirectoryOpens() => HoldWhileTheFileExists(SaveHoldVariable);

    [Conditional("DEBUG")]
    public static void BeforeSavedDirectoriesSettle() => HoldWhileTheFileExists(PutBackHoldVariable);

    [Conditional("DEBUG")]
    public static void BeforeWatchdogStops() => Pause(WatchdogStop, WatchdogStopVariable);

    [Conditional("DEBUG")]
    public static void BeforeSelfExec() => Pause(SelfExec, SelfExecVariable);

    /// <summary>
    /// Pauses, once it has said so on stderr for the long pauses a test acts in (a second or more): the test then knows crik is
    /// at that point, rather than guessing from the time.
    /// </summary>
    private static void Pause(int milliseconds, string variable)
    {
        if (milliseconds >= 1000)
        {
            Console.Error.WriteLine($"crik test: pausing {milliseconds} ms at {variable}");
        }
        if (milliseconds > 0)
        {
            Thread.Sleep(milliseconds);
        }
    }

    /// <summary>Waits while the file <paramref name="variable"/> names exists, once it has said so on stderr; nothing when it does not exist.</summary>
    private static void HoldWhileTheFileExists(string variable)
    {
        if (HeldBy(variable) is { } hold)
        {
            Console.Error.WriteLine($"crik test: holding at {variable} while {hold} exists");
            WaitWhileExists(hold);
        }
    }

    /// <summary>The file <paramref name="variable"/> names, when it is set and the file exists now: a test holds crik there.</summary>
    public static string? HeldBy(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } hold && File.Exists(hold) ? hold : null;

    /// <summary>Waits until the test deletes <paramref name="hold"/>.</summary>
    public static void WaitWhileExists(string hold)
    {
        while (File.Exists(hold))
        {
            Thread.Sleep(10);
        }
    }

    private static int Milliseconds(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.None, CultureInfo.InvariantCulture, out int pause) ? pause : 0;
}
