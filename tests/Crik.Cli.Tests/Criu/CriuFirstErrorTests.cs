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
        string log = dir.Write("dump.log", "(00.1) Warn: x\n(00.2) Error (criu/tun.c:85): tun: Unable to create tun\n(00.3) Error (criu/cr-dump.c:2100): Dumping FAILED.\n");
        dir.Write("dump.log.out", "something printed\n");
        Assert.Equal("(00.2) Error (criu/tun.c:85): tun: Unable to create tun", CriuRunner.FirstError(log));
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
}
