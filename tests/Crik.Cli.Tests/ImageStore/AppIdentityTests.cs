using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>A checkpoint is restored only into the program it was taken of.</summary>
[Trait("Category", "Unit")]
public sealed class AppIdentityTests
{
    [Fact]
    public void TheFirstWordIsLookedUpOnPathAndEveryLinkResolved()
    {
        AppIdentity sh = AppIdentity.Of(["sh", "-c", "true"]);
        string expected = Path.GetFullPath(new FileInfo("/bin/sh").ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? "/bin/sh");
        Assert.Equal(Crik.Cli.Interop.PathResolution.RealPath(expected), sh.Executable);
        Assert.Equal(new FileInfo(sh.Executable!).Length, sh.Size);
        Assert.Matches("^[0-9a-f]{8}$", sh.Fingerprint);
    }

    [Fact]
    public void TheSameProgramAndCommandMatch() =>
        Assert.Null(AppIdentity.Mismatch(Recorded(AppIdentity.Of(["sh", "-c", "x"])), AppIdentity.Of(["sh", "-c", "x"])));

    [Fact]
    public void AnotherCommandLineIsAMismatch()
    {
        string? why = AppIdentity.Mismatch(Recorded(AppIdentity.Of(["sh", "-c", "x"])), AppIdentity.Of(["sh", "-c", "y"]));
        Assert.Equal("checkpoint 3 is of the command sh -c x, this container runs sh -c y", why);
    }

    [Fact]
    public void AnotherExecutableUnderTheSameCommandIsAMismatchThatNamesBoth()
    {
        AppIdentity now = AppIdentity.Of(["sh"]);
        string? why = AppIdentity.Mismatch(Recorded(now with { Size = 1_258_291, Fingerprint = "deadbeef" }), now);
        Assert.StartsWith($"checkpoint 3 is of {now.Executable} 1.2 MiB (fingerprint deadbeef), this container runs {now.Executable} ",
            why, StringComparison.Ordinal);
        Assert.EndsWith($"(fingerprint {now.Fingerprint})", why, StringComparison.Ordinal);
    }

    [Fact]
    public void ManifestsFromBeforeIdentitiesMismatchOnlyOnTheCommandLine()
    {
        var old = new Manifest { Generation = 3, Command = ["sh", "-c", "x"] };
        Assert.Null(AppIdentity.Mismatch(old, AppIdentity.Of(["sh", "-c", "x"])));
        Assert.NotNull(AppIdentity.Mismatch(old, AppIdentity.Of(["sh", "-c", "z"])));
    }

    [Fact]
    public void AProgramThatIsNowhereHasNoExecutable()
    {
        AppIdentity missing = AppIdentity.Of(["no-such-program-anywhere"]);
        Assert.Null(missing.Executable);
        Assert.Contains("could not find (no-such-program-anywhere)", missing.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void AProgramThatCannotBeFoundOrReadNowCannotBeToldFromTheOneACheckpointIsOf()
    {
        AppIdentity sh = AppIdentity.Of(["sh", "-c", "x"]);
        Assert.Null(AppIdentity.CannotTell(Recorded(sh), sh));
        Assert.Equal($"crik could not read {sh.Executable}: Input/output error",
            AppIdentity.CannotTell(Recorded(sh), sh with { Size = 0, Fingerprint = null, ReadError = "Input/output error" }));
        Assert.Equal("this container has no program sh (looked for in PATH)",
            AppIdentity.CannotTell(Recorded(sh), sh with { Executable = null, Size = 0, Fingerprint = null }));
        Assert.Null(AppIdentity.CannotTell(Recorded(sh), AppIdentity.Of(["no-such-program-anywhere"]))); // another command line: a mismatch
        Assert.Null(AppIdentity.CannotTell(Recorded(sh), sh with { Executable = "/opt/other/sh", Size = 0, Fingerprint = null })); // another path: a mismatch
        Assert.Null(AppIdentity.CannotTell(Recorded(sh with { Fingerprint = null }), sh with { Fingerprint = null })); // unread both times
    }

    private static Manifest Recorded(AppIdentity app) => new() { Generation = 3, Command = app.Command, App = app };
}
