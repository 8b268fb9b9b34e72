using Crik.Cli.Configuration;
using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>onStoreUnavailable: what crik plans when it cannot tell whether a checkpoint exists, for each place it can happen.</summary>
[Trait("Category", "Unit")]
public sealed class StoreUnavailableRuleTests
{
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(30);

    [Fact]
    public void ByDefaultNothingStartsWhileLockWaitHasTimeLeftTheLookupIsTriedAgainAndSaysWhatToCheck()
    {
        var again = Assert.IsType<UnsurePlan.LookAgain>(StoreUnavailable.Decide(Trouble(TroubleWith.Lookup), CrikConfig.Default.OnStoreUnavailable, LockWait, TimeSpan.FromSeconds(29.5)));

        Assert.Equal(TimeSpan.FromSeconds(0.5), again.After); // never past lockWait
        Assert.Equal("Waiting for s3://b/app: crik cannot tell whether it holds a checkpoint (S3 GET 503), so this pod starts nothing until it can "
            + "(30 s of lockWait's 30 s); check that this pod reaches the store (network policy, DNS, a service-mesh sidecar not ready yet, "
            + "AWS_ENDPOINT_URL_S3) and that its credentials are valid", again.Waiting);
    }

    [Theory]
    [InlineData(30)]
    [InlineData(31)]
    public void ByDefaultNothingStartsOnceLockWaitHasPassed(int waited)
    {
        var nothing = Assert.IsType<UnsurePlan.StartNothing>(StoreUnavailable.Decide(Trouble(TroubleWith.Lookup), StoreUnavailablePolicy.Wait, LockWait, TimeSpan.FromSeconds(waited)));
        Assert.StartsWith("crik could not tell within lockWait (30 s) whether s3://b/app holds a checkpoint: S3 GET 503. It started nothing", nothing.Message, StringComparison.Ordinal);
        Assert.StartsWith("Waiting for s3://b/app: crik cannot tell whether it holds a checkpoint (S3 GET 503)", nothing.Waiting, StringComparison.Ordinal); // said once, however long the first try took
    }

    [Theory]
    [InlineData((int)TroubleWith.FoundCheckpoint, "S3 GET 503; the checkpoint stays, and crik starts nothing and exits so that Kubernetes starts this pod again")]
    [InlineData((int)TroubleWith.Unexpected, "crik could not look for or restore a checkpoint (S3 GET 503), so it starts nothing")]
    public void ByDefaultNothingStartsWhereThereIsNoLookingAgain(int where, string says)
    {
        var nothing = Assert.IsType<UnsurePlan.StartNothing>(StoreUnavailable.Decide(Trouble((TroubleWith)where), StoreUnavailablePolicy.Wait, LockWait, TimeSpan.Zero));
        Assert.StartsWith(says, nothing.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData((int)TroubleWith.Lookup, "crik cannot tell whether s3://b/app holds a checkpoint (S3 GET 503)")]
    [InlineData((int)TroubleWith.FoundCheckpoint, "S3 GET 503")]
    [InlineData((int)TroubleWith.Unexpected, "could not look for or restore a checkpoint (S3 GET 503)")]
    public void WithStartTheAppStartsFreshAtOnceAndSaysWhatItGivesUp(int where, string problem)
    {
        var fresh = Assert.IsType<UnsurePlan.StartFresh>(StoreUnavailable.Decide(Trouble((TroubleWith)where), StoreUnavailablePolicy.Start, LockWait, TimeSpan.Zero));

        Assert.Equal($"{problem}, and onStoreUnavailable: start asks for a fresh start", fresh.Why);
        Assert.StartsWith($"{problem}; starting the app fresh because onStoreUnavailable: start asks for it, which gives up the work", fresh.Warning, StringComparison.Ordinal);
    }

    [Fact]
    public void AVolumeGetsAVolumesHint() =>
        Assert.Contains("check that the volume is mounted there", StoreUnavailable.Hint(Trouble(TroubleWith.Lookup) with { ObjectStorage = false }), StringComparison.Ordinal);

    [Fact]
    public void AVolumeWhoseDiskOnThisNodeFailedGetsTheDisksHint() =>
        Assert.Contains("check the disk under the volume on this node", StoreUnavailable.Hint(Trouble(TroubleWith.Lookup) with { ObjectStorage = false, OwnDiskFailed = true }),
            StringComparison.Ordinal);

    private static StoreTrouble Trouble(TroubleWith where) => new(where, "S3 GET 503", "s3://b/app", ObjectStorage: true);
}
