using Crik.Cli.Decisions;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>Which committed generation is restored, set aside or kept where it is.</summary>
[Trait("Category", "Unit")]
public sealed class GenerationVerdictTests
{
    private static readonly List<RestoreRecord> NoRestores = [];

    [Fact]
    public void AWholeGenerationOfThisAppIsRestored() =>
        Assert.IsType<GenerationVerdict.Restore>(GenerationVerdict.Of(null, false, null, NoRestores, 3));

    [Fact]
    public void AGenerationThatCannotBeRestoredIsSetAsideWithItsReason() =>
        Assert.Equal(new GenerationVerdict.SetAside("it has no manifest"), GenerationVerdict.Of("it has no manifest", false, null, NoRestores, 3));

    [Fact]
    public void AGenerationUnderAKeyCrikDoesNotHoldStaysWhereItIs() =>
        Assert.Equal(new GenerationVerdict.Keep("another key"), GenerationVerdict.Of("another key", true, null, NoRestores, 3));

    [Fact]
    public void AGenerationOfAnotherAppIsSetAside() =>
        Assert.Equal(new GenerationVerdict.SetAside("of /bin/other"), GenerationVerdict.Of(null, false, "of /bin/other", NoRestores, 3));

    [Fact]
    public void AGenerationWhoseRestoresKeepDyingIsSetAside()
    {
        DateTimeOffset at = DateTimeOffset.UnixEpoch;
        List<RestoreRecord> died = [new(1, at, "", false), new(2, at, "", false)];
        Assert.IsType<GenerationVerdict.Restore>(GenerationVerdict.Of(null, false, null, died, 3));
        Assert.True(Assert.IsType<GenerationVerdict.SetAside>(GenerationVerdict.Of(null, false, null, died, 2)).CrashLoop);
        Assert.False(Assert.IsType<GenerationVerdict.SetAside>(GenerationVerdict.Of("it has no manifest", false, null, died, 2)).CrashLoop);
    }
}
