using Crik.Cli.Criu;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Criu;

[Trait("Category", "Unit")]
public class CriuFirstErrorTests
{
    [Fact]
    public void TheLogsFirstTellingErrorLineWins()
    {
        using var dir = new TempDirectory();
        string log = dir.Write("dump.log", "(00.1) Warn: x\n(00.2) Error (criu/tun.c:85): tun: Unable to create tun: No such file or directory\n"
            + "(00.3) Error (criu/net.c:4121): net: Unable create a network namespace: Operation not permitted\n(00.4) Error (criu/cr-dump.c:2100): Dumping FAILED.\n");
        dir.Write("dump.log.out", "something printed\n");
        // The tun probe fails in every container without /dev/net/tun and is not why a dump fails.
        Assert.Equal("(00.3) Error (criu/net.c:4121): net: Unable create a network namespace: Operation not permitted", CriuRunner.FirstError(log));
    }

    [Fact]
    public void WithoutAnErrorLineWhatCriuPrintedIsTold()
    {
        using var dir = new TempDirectory();
        string log = dir.Write("dump.log", "");
        dir.Write("dump.log.out", "\nRunning as non-root requires '--unprivileged'\nPlease consult the documentation\n");
        Assert.Equal("criu said \"Running as non-root requires '--unprivileged'\"", CriuRunner.FirstError(log));
    }

    [Fact]
    public void WithNeitherTheAnswerSaysSo()
    {
        using var dir = new TempDirectory();
        Assert.Equal("no error line in its log", CriuRunner.FirstError(dir.Write("dump.log", "all fine\n")));
    }

    [Fact]
    public void ALogOfHarmlessComplaintsOnlyIsNotGivenAsTheCause()
    {
        using var dir = new TempDirectory();
        // A criu killed at its timeout just after it started: the line says nothing about why the dump failed.
        string log = dir.Write("dump.log", "(00.000146) Version: 4.2.1\n(00.007190) Error (criu/util.c:1534): rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted\n");
        Assert.Equal("no telling error line in its log", CriuRunner.FirstError(log));
    }
}
