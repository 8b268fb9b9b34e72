using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>A generation whose PIDs are taken in this container cannot be restored here.</summary>
[Trait("Category", "Unit")]
public sealed class PidsInUseTests
{
    [Fact]
    public void AGenerationWhosePidsAreFreeIsRestored() =>
        Assert.IsType<GenerationVerdict.Restore>(PidsInUse.Verdict([]));

    [Fact]
    public void AGenerationWhosePidsAreTakenIsSetAsideNamingThem() =>
        Assert.Equal(new GenerationVerdict.SetAside("PIDs 7, 9 that the app needs are taken by other processes in this container"), PidsInUse.Verdict([7, 9]));
}
