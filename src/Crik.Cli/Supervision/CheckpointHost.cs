using Crik.Cli.Checkpointing;
using Crik.Cli.Decisions;
using Crik.Cli.Interop;
using Crik.Cli.Records;

namespace Crik.Cli.Supervision;

/// <summary>
/// The supervisor's side of one checkpoint, and the one place that carries out what <see cref="AfterCheckpoint"/>
/// plans for the app: what becomes of its processes, its SIGTERM (once, however early the checkpoint gave up), and
/// what its life remembers of the checkpoint.
/// </summary>
internal sealed class CheckpointHost(AppLife life, AppSignals signals, CheckpointReason reason) : ICheckpointHost
{
    private int _sigtermGiven;

    public long? Captured() => AfterCheckpoint.ResumedOnceCaptured(reason) ? life.Stops.Resume() : null;

    // The app goes on as after any checkpoint not taken, before the clean-up, which a store that stopped answering makes slow.
    public void GivingUp() => LetTheAppGoOn(AfterCheckpoint.Plan(reason, CheckpointEnd.NotTakenStopped));

    public string? WhyNotCommit() => life.Stops.FrozenDuringTheCheckpoint;

    public bool SigtermWaiting => reason != CheckpointReason.Sigterm && signals.SigtermWaiting;

    public void DumpingAgain() => life.Stops.RunForASecondDump();

    /// <summary>Carries out <paramref name="plan"/> once the checkpoint has answered; throws <see cref="AppMustStopException"/> when the app must be killed.</summary>
    public void CarryOut(AfterCheckpointPlan plan)
    {
        if (plan.App == AppAfterCheckpoint.Killed)
        {
            throw new AppMustStopException();
        }
        LetTheAppGoOn(plan);
        life.Remember(plan);
    }

    private void LetTheAppGoOn(AfterCheckpointPlan plan)
    {
        switch (plan.App)
        {
            case AppAfterCheckpoint.Resumed:
                life.Stops.Resume();
                break;
            case AppAfterCheckpoint.RunsOn:
                life.Stops.NotStopped();
                break;
        }
        if (plan.GetsSigterm && Interlocked.Exchange(ref _sigtermGiven, 1) == 0)
        {
            signals.Forward(Signal.SIGTERM);
        }
    }
}
