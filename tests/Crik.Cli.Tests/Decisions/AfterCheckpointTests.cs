using Crik.Cli.Decisions;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>What happens to the app after each checkpoint outcome, for each reason a checkpoint is asked for.</summary>
[Trait("Category", "Unit")]
public sealed class AfterCheckpointTests
{
    private const CheckpointReason Sigterm = CheckpointReason.Sigterm;
    private const CheckpointReason Periodic = CheckpointReason.Periodic;
    private const CheckpointReason AtRisk = CheckpointReason.AtRisk;
    private const CheckpointReason OnDemand = CheckpointReason.OnDemand;
    private const CheckpointReason OnDemandExit = CheckpointReason.OnDemandExit;

    private const AppAfterCheckpoint AsItWas = AppAfterCheckpoint.AsItWas;
    private const AppAfterCheckpoint RunsOn = AppAfterCheckpoint.RunsOn;
    private const AppAfterCheckpoint Resumed = AppAfterCheckpoint.Resumed;
    private const AppAfterCheckpoint KeptStopped = AppAfterCheckpoint.KeptStoppedToEnd;
    private const AppAfterCheckpoint Killed = AppAfterCheckpoint.Killed;

    /// <summary>Every reason × every end, with the plan expected: (app, gets SIGTERM, checkpointed while running, failed at SIGTERM).</summary>
    public static readonly TheoryData<int, int, int, bool, bool, bool> Table = new()
    {
        // A commit ends the app here for a SIGTERM or --exit: kept stopped for crik to kill, and crik exits 0.
        { (int)Sigterm, (int)CheckpointEnd.Committed, (int)KeptStopped, false, false, false },
        { (int)OnDemandExit, (int)CheckpointEnd.Committed, (int)KeptStopped, false, false, false },
        // Any other commit lets the app run on, from a checkpoint its own end will retire.
        { (int)Periodic, (int)CheckpointEnd.Committed, (int)Resumed, false, true, false },
        { (int)AtRisk, (int)CheckpointEnd.Committed, (int)Resumed, false, true, false },
        { (int)OnDemand, (int)CheckpointEnd.Committed, (int)Resumed, false, true, false },
        // Skipped before crik stopped the app (frozen for its lease): left as it is; a SIGTERM reaches it.
        { (int)Sigterm, (int)CheckpointEnd.NotBegun, (int)AsItWas, true, false, true },
        { (int)Periodic, (int)CheckpointEnd.NotBegun, (int)AsItWas, false, false, false },
        { (int)AtRisk, (int)CheckpointEnd.NotBegun, (int)AsItWas, false, false, false },
        { (int)OnDemand, (int)CheckpointEnd.NotBegun, (int)AsItWas, false, false, false },
        { (int)OnDemandExit, (int)CheckpointEnd.NotBegun, (int)AsItWas, false, false, false },
        // Not taken before CRIU ran (the lock, the staging area, the memory not in): it runs as it did.
        { (int)Sigterm, (int)CheckpointEnd.NotTakenRunning, (int)RunsOn, true, false, true },
        { (int)Periodic, (int)CheckpointEnd.NotTakenRunning, (int)RunsOn, false, false, false },
        { (int)AtRisk, (int)CheckpointEnd.NotTakenRunning, (int)RunsOn, false, false, false },
        { (int)OnDemand, (int)CheckpointEnd.NotTakenRunning, (int)RunsOn, false, false, false },
        { (int)OnDemandExit, (int)CheckpointEnd.NotTakenRunning, (int)RunsOn, false, false, false },
        // Not taken once CRIU may have stopped it (a dump or commit that failed, an exception): resumed.
        { (int)Sigterm, (int)CheckpointEnd.NotTakenStopped, (int)Resumed, true, false, true },
        { (int)Periodic, (int)CheckpointEnd.NotTakenStopped, (int)Resumed, false, false, false },
        { (int)AtRisk, (int)CheckpointEnd.NotTakenStopped, (int)Resumed, false, false, false },
        { (int)OnDemand, (int)CheckpointEnd.NotTakenStopped, (int)Resumed, false, false, false },
        { (int)OnDemandExit, (int)CheckpointEnd.NotTakenStopped, (int)Resumed, false, false, false },
        // The node is not going away: the SIGTERM is the app's own end, which retires its checkpoints.
        { (int)Sigterm, (int)CheckpointEnd.NotWanted, (int)RunsOn, true, false, false },
        { (int)Periodic, (int)CheckpointEnd.NotWanted, (int)RunsOn, false, false, false },
        { (int)AtRisk, (int)CheckpointEnd.NotWanted, (int)RunsOn, false, false, false },
        { (int)OnDemand, (int)CheckpointEnd.NotWanted, (int)RunsOn, false, false, false },
        { (int)OnDemandExit, (int)CheckpointEnd.NotWanted, (int)RunsOn, false, false, false },
        // Another crik committed first: this copy is killed, never resumed, and gets no SIGTERM.
        { (int)Sigterm, (int)CheckpointEnd.Superseded, (int)Killed, false, false, false },
        { (int)Periodic, (int)CheckpointEnd.Superseded, (int)Killed, false, false, false },
        { (int)AtRisk, (int)CheckpointEnd.Superseded, (int)Killed, false, false, false },
        { (int)OnDemand, (int)CheckpointEnd.Superseded, (int)Killed, false, false, false },
        { (int)OnDemandExit, (int)CheckpointEnd.Superseded, (int)Killed, false, false, false },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void EachEndOfEachCheckpointHasItsPlan(int reason, int end, int app, bool getsSigterm, bool checkpointedWhileRunning, bool failedAtSigterm) =>
        Assert.Equal(new AfterCheckpointPlan((AppAfterCheckpoint)app, getsSigterm, checkpointedWhileRunning, failedAtSigterm),
            AfterCheckpoint.Plan((CheckpointReason)reason, (CheckpointEnd)end));

    [Fact]
    public void TheTableCoversEveryReasonAndEveryEnd()
    {
        var covered = Table.Select(row => ((CheckpointReason)(int)row[0], (CheckpointEnd)(int)row[1])).ToHashSet();
        var all = Enum.GetValues<CheckpointReason>().SelectMany(r => Enum.GetValues<CheckpointEnd>().Select(e => (r, e))).ToList();
        Assert.DoesNotContain(all, pair => !covered.Contains(pair));
    }

    [Theory]
    [InlineData((int)Sigterm, false)]
    [InlineData((int)OnDemandExit, false)]
    [InlineData((int)Periodic, true)]
    [InlineData((int)AtRisk, true)]
    [InlineData((int)OnDemand, true)]
    public void OnlyAnAppThatRunsOnAfterTheCommitIsResumedOnceCaptured(int reason, bool resumed) =>
        Assert.Equal(resumed, AfterCheckpoint.ResumedOnceCaptured((CheckpointReason)reason));

    [Fact]
    public void OnlyACommitForASigtermOrExitEndsTheAppHere()
    {
        var ending = Enum.GetValues<CheckpointReason>().SelectMany(r => Enum.GetValues<CheckpointEnd>().Select(e => (r, e)))
            .Where(pair => AfterCheckpoint.Plan(pair.r, pair.e).AppEndsHere).ToList();
        Assert.Equal([(Sigterm, CheckpointEnd.Committed), (OnDemandExit, CheckpointEnd.Committed)], ending);
    }
}
