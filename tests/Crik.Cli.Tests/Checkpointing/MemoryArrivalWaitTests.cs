using Crik.Cli.Checkpointing;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Crik.Cli.Tests.Observing;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// A checkpoint that waited for a lazily restored app's memory and did not get it says which of the two it was: a fill still
/// going (the app runs on) or one that failed (which has ended the app).
/// </summary>
[Trait("Category", "Unit")]
public sealed class MemoryArrivalWaitTests
{
    [Fact]
    public async Task AFillThatFailedWhileTheCheckpointWaitedIsNamedAsTheReasonAndTheAppIsNotSaidToRunOn()
    {
        var log = new LogLines();
        Task<string?> loaded = Task.FromResult<string?>("chunk 7 of the pages image does not match its XXH3-64");

        Assert.False(await Wait(log).BeforeDumpAsync(Attempt(loaded, TimeSpan.FromSeconds(10))));

        string line = Assert.Single(log.Lines, l => l.StartsWith("Warning: Checkpoint not taken", StringComparison.Ordinal));
        Assert.Contains("could not be brought in from checkpoint 4 (chunk 7 of the pages image does not match its XXH3-64)", line, StringComparison.Ordinal);
        Assert.Contains("the failed fill ended the app", line, StringComparison.Ordinal);
        Assert.DoesNotContain("on its way in", line, StringComparison.Ordinal);
        Assert.DoesNotContain("keeps running", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFillStillGoingWhenTheWaitEndsIsSaidToBeOnItsWayInAndTheAppRunsOn()
    {
        var log = new LogLines();
        var never = new TaskCompletionSource<string?>();

        Assert.False(await Wait(log).BeforeDumpAsync(Attempt(never.Task, TimeSpan.FromMilliseconds(200))));

        string line = Assert.Single(log.Lines, l => l.StartsWith("Warning: Checkpoint not taken", StringComparison.Ordinal));
        Assert.Contains("is still on its way in from checkpoint 4", line, StringComparison.Ordinal);
        Assert.Contains("the app keeps running and gets SIGTERM", line, StringComparison.Ordinal);
    }

    private static MemoryArrivalWait Wait(LogLines log) => new(new DumpOutcomes(null!, "/images", log.Logger), log.Logger);

    private static CheckpointAttempt Attempt(Task<string?> loaded, TimeSpan budget) =>
        new(new RunningApp(9000, new TaskCompletionSource<WaitStatus>().Task, ["app"], 4, MemoryLoaded: loaded), CheckpointReason.Sigterm, new Budget(budget), null);
}
