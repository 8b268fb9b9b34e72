using System.Diagnostics;
using Crik.Cli.ImageStore;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Crik.Cli.Timing;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// One dump under way, once it has a staging area: what each of its steps is given. What a step learns it returns
/// (<see cref="DumpSetup"/>, <see cref="DumpTaken"/>, <see cref="CapturedApp"/>, <see cref="DumpEnd"/>); none is kept here.
/// </summary>
/// <param name="clock">Started before the first staging area of the checkpoint was made, for the log lines.</param>
internal sealed class DumpRun(CheckpointAttempt attempt, StagingCheckpoint staging, Stopwatch clock)
{
    public CheckpointAttempt Attempt => attempt;

    public RunningApp App => attempt.App;

    public CheckpointReason Reason => attempt.Reason;

    public StagingCheckpoint Staging => staging;

    public long Generation => staging.Generation;

    public Budget Budget => attempt.Budget;

    public StageClock Stages => attempt.Stages;

    public Stopwatch Clock => clock;
}
