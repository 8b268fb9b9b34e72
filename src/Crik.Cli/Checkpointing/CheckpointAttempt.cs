using Crik.Cli.Processes;
using Crik.Cli.Records;
using Crik.Cli.Timing;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// One checkpoint asked for, from the moment it is: why, its budget and stages, and how the app goes on should
/// it not be taken. Each dump of it is a <see cref="DumpRun"/>, whose steps return what they learn.
/// </summary>
/// <param name="host">The supervisor's side of this checkpoint (see <see cref="ICheckpointer.CheckpointAsync"/>); null when there is none.</param>
internal sealed class CheckpointAttempt(RunningApp app, CheckpointReason reason, Budget budget, ICheckpointHost? host)
{
    private int _gaveUp;

    public RunningApp App => app;

    /// <summary>Why the checkpoint is taken, for the log and what it publishes.</summary>
    public CheckpointReason Reason => reason;

    public Budget Budget => budget;

    public StageClock Stages { get; } = new();

    /// <summary>The app's memory still arriving, which this checkpoint takes as it is (its background fill held); null when all of it is in.</summary>
    public IArrivingMemory? TakesArriving { get; private set; }

    /// <summary>What the fill had copied when this checkpoint let it go on (<see cref="LetFillGoOn"/>); null while it holds it, or never did.</summary>
    public long? CopiedWhenLetGo { get; private set; }

    /// <summary>What the fill copied since this checkpoint let it go on; null when it holds no fill, or holds it still.</summary>
    public long? FilledSinceLetGo => TakesArriving is { } arriving && CopiedWhenLetGo is { } before ? arriving.CopiedBytes - before : null;

    /// <summary>Takes the app's memory as it is, with <paramref name="arriving"/>'s background fill held until <see cref="LetFillGoOn"/>.</summary>
    public void TakeAsItIs(IArrivingMemory arriving) => TakesArriving = arriving;

    /// <summary>The dump after a dropped one is an ordinary dump: the fill it waited for has brought everything in.</summary>
    public void TakeAllIn() => TakesArriving = null;

    /// <summary>
    /// Lets the background fill this checkpoint holds go on: once the images are put together, or the checkpoint
    /// ends any other way. Only the first call does anything.
    /// </summary>
    public void LetFillGoOn()
    {
        if (TakesArriving is { } arriving && CopiedWhenLetGo is null)
        {
            CopiedWhenLetGo = arriving.CopiedBytes;
            arriving.ResumeBackground();
        }
    }

    /// <summary>What becomes of the app when this checkpoint is not taken, for the log.</summary>
    public string ThenTheApp => reason == CheckpointReason.Sigterm ? "the app keeps running and gets SIGTERM" : "the app keeps running";

    /// <summary>Whether the app can be dumped a second time in this checkpoint (<see cref="LetRunForASecondDump"/>).</summary>
    public bool CanDumpAgain => host is not null;

    /// <summary>
    /// Lets the app, which the dump dropped left stopped, run again right before a second dump: CRIU records a
    /// process it finds stopped as stopped, and a restore would bring it back so.
    /// </summary>
    public void LetRunForASecondDump() => host?.DumpingAgain();

    /// <summary>Lets the supervisor resume the app (and hand it its SIGTERM) now; once, should a failing clean-up lead here again.</summary>
    public void GiveUp()
    {
        if (Interlocked.Exchange(ref _gaveUp, 1) == 0)
        {
            host?.GivingUp();
        }
    }

    /// <summary>The app's state and files are captured: the supervisor may resume an app that runs on after the checkpoint.</summary>
    public long? Captured() => host?.Captured();

    /// <summary>Why the supervisor says not to commit, asked just before the commit point; null to commit.</summary>
    public string? WhyNotCommit() => host?.WhyNotCommit();

    /// <summary>See <see cref="ICheckpointHost.SigtermWaiting"/>.</summary>
    public bool SigtermWaiting => host?.SigtermWaiting == true;
}
