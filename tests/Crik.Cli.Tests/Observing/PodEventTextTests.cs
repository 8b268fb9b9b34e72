using System.Text.RegularExpressions;
using Crik.Cli.Observing;
using Xunit;

namespace Crik.Cli.Tests.Observing;

[Trait("Category", "Unit")]
public sealed partial class PodEventTextTests
{
    private static readonly (Happening Happening, string Type, string Reason)[] Moments =
    [
        (new Happening.CheckpointCommitted(2, "periodic", 1 << 20, 1 << 10, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(0.5)), "Normal", "Checkpointed"),
        (new Happening.CheckpointFailed(2, "sigterm", TimeSpan.FromSeconds(3), "CRIU failed."), "Warning", "CheckpointFailed"),
        (new Happening.CheckpointSkipped("at_risk", "another crik holds /images/.lock"), "Warning", "CheckpointSkipped"),
        (new Happening.CheckpointNotNeeded("the node is not going away"), "Normal", "CheckpointNotNeeded"),
        (new Happening.Restored(2, false, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.2), 7), "Normal", "Restored"),
        (new Happening.RestoreFailed(2, false, "CRIU failed"), "Warning", "RestoreFailed"),
        (new Happening.CheckpointSetAside("/images/checkpoint-000002", "unreadable", "/images/set-aside/x"), "Warning", "CheckpointSetAside"),
        (new Happening.StartedFresh("no checkpoint to restore in /images", TimeSpan.Zero), "Normal", "StartedFresh"),
        (new Happening.RestoreResumedAgain(2, 2, 3), "Warning", "RestoreResumedAgain"),
        (new Happening.RestoreCrashLoop("/images/checkpoint-000002", "its restored app died 3 times"), "Warning", "RestoreCrashLoop"),
        (new Happening.WaitingForLock("/images", TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1)), "Warning", "WaitingForLock"),
        (new Happening.LeaseLost(7), "Warning", "LeaseLost"),
        (new Happening.LeaseLost(7, TimeSpan.FromSeconds(40)), "Warning", "LeaseLost"),
        (new Happening.LeaseInDoubt(7), "Warning", "LeaseInDoubt"),
        (new Happening.LeaseKept(7, TimeSpan.FromSeconds(61)), "Normal", "LeaseKept"),
        (new Happening.CheckpointsRetired("exited with code 0", 2), "Normal", "CheckpointsRetired"),
        (new Happening.AppOomKilled(7, CheckpointsStay: true), "Warning", "AppOOMKilled"),
        (new Happening.LazyRestoreFellBack(2, "CRIU exited with code 1"), "Warning", "RestoreFellBackToEager"),
        (new Happening.AppNotStarted("another crik holds /images after lockWait"), "Warning", "AppNotStarted"),
    ];

    public static TheoryData<int> EachMoment() => [.. Enumerable.Range(0, Moments.Length)];

    [Theory]
    [MemberData(nameof(EachMoment))]
    public void EachMomentIsOneSentenceUnderAnUpperCamelCaseReason(int moment)
    {
        (Happening happening, string type, string reason) = Moments[moment];
        PodEventText text = PodEventText.For(happening)!;
        Assert.Equal((type, reason), (text.Type, text.Reason));
        Assert.Matches(UpperCamelCase(), text.Reason);
        Assert.DoesNotContain('\n', text.Message);
        Assert.False(text.Message.EndsWith('.'), text.Message);
    }

    [Fact]
    public void OnlyTheMetricsSeeTheLeaseStateAndALazyRestoresLastPage()
    {
        Assert.Null(PodEventText.For(new Happening.LeaseChanged(LeaseState.Frozen)));
        Assert.Null(PodEventText.For(new Happening.RestoreMemoryAllIn(1, TimeSpan.FromSeconds(3))));
    }

    [Fact]
    public void ALeaseKeptSaysHowLongTheAppWasFrozen() =>
        Assert.Equal("crik renewed its lease after 61.50 s in doubt: no other pod took it, so the app (PID 7) runs on",
            PodEventText.For(new Happening.LeaseKept(7, TimeSpan.FromSeconds(61.5)))!.Message);

    [Theory]
    [InlineData(0.0172, "in 0.03 s, the app frozen for 17.2 ms")]
    [InlineData(0.9999, "in 0.03 s, the app frozen for 999.9 ms")]
    [InlineData(1.8, "in 0.03 s, the app frozen for 1.80 s")]
    public void ACommittedCheckpointSaysItsHoldInMillisecondsBelowASecond(double frozen, string end) =>
        Assert.EndsWith(end, PodEventText.For(new Happening.CheckpointCommitted(9, "periodic", 1 << 20, 1 << 10, TimeSpan.FromSeconds(0.03),
            TimeSpan.FromSeconds(frozen)))!.Message, StringComparison.Ordinal);

    [Fact]
    public void AReasonFromTheLogLosesItsLineBreaksAndFinalPeriod()
    {
        PodEventText text = PodEventText.For(new Happening.CheckpointFailed(4, "on_demand_exit", TimeSpan.FromSeconds(2), "CRIU said:\nno space left."))!;
        Assert.Equal("Checkpoint 4 failed after 2.00 s (on demand, then exit): CRIU said: no space left; the previous checkpoint is untouched", text.Message);
    }

    [Fact]
    public void AFailureBeforeAGenerationWasChosenSaysACheckpoint() =>
        Assert.StartsWith("A checkpoint failed after 0.50 s (periodic): ",
            PodEventText.For(new Happening.CheckpointFailed(0, "periodic", TimeSpan.FromSeconds(0.5), "the store is gone"))!.Message, StringComparison.Ordinal);

    [GeneratedRegex("^(?:[A-Z][a-z]*|OOM)+$")]
    private static partial Regex UpperCamelCase();
}
