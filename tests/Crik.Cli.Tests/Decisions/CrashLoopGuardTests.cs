using Crik.Cli.Decisions;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>restoreAttempts: restores in a row whose pods ended before the app lived on give a generation up.</summary>
[Trait("Category", "Unit")]
public sealed class CrashLoopGuardTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 5, 19, 0, 0, TimeSpan.Zero);

    private static RestoreRecord Died(int number) => new(number, At, "", Survived: false);

    private static RestoreRecord Lived(int number) => new(number, At, "", Survived: true);

    /// <summary>A mark left empty: its write failed (a full disk) or its pod was killed while it wrote it, before CRIU ran.</summary>
    private static RestoreRecord Unwritten(int number) => new(number, null, "", Survived: false);

    [Fact]
    public void OnlyTheNewestRestoresInARowCount()
    {
        Assert.Equal(0, CrashLoopGuard.DiedInARow([]));
        Assert.Equal(2, CrashLoopGuard.DiedInARow([Died(1), Lived(2), Died(3), Died(4)]));
        Assert.Equal(0, CrashLoopGuard.DiedInARow([Died(1), Died(2), Lived(3)]));
    }

    [Fact]
    public void AGenerationIsGivenUpAtRestoreAttemptsInARow()
    {
        Assert.Null(CrashLoopGuard.GivesUp([Died(1), Died(2)], restoreAttempts: 3));
        string? why = CrashLoopGuard.GivesUp([Died(1), Died(2), Died(3)], restoreAttempts: 3);
        Assert.NotNull(why);
        Assert.Contains("restored 3 times in a row", why, StringComparison.Ordinal);
        Assert.Contains("restoreAttempts: 3", why, StringComparison.Ordinal);
    }

    [Fact]
    public void ARestoreThatLivedOnStartsTheCountAgain() =>
        Assert.Null(CrashLoopGuard.GivesUp([Died(1), Died(2), Died(3), Lived(4), Died(5)], restoreAttempts: 3));

    [Fact]
    public void MarksThatWereNeverWrittenWholeDoNotCount()
    {
        Assert.Equal(0, CrashLoopGuard.DiedInARow([Unwritten(1), Unwritten(2), Unwritten(3)]));
        Assert.Null(CrashLoopGuard.GivesUp([Died(1), Unwritten(2), Died(3), Unwritten(4)], restoreAttempts: 3));
        Assert.Equal(2, CrashLoopGuard.DiedInARow([Lived(1), Died(2), Unwritten(3), Died(4)]));
        Assert.Equal(0, CrashLoopGuard.DiedInARow([Died(1), Lived(2), Unwritten(3)]));
    }
}
