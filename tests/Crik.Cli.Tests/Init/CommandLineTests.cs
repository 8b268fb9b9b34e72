using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Init;

public class CommandLineTests
{
    [Fact]
    public void VersionPrintsTheVersion()
    {
        using var run = CrikRun.Start(["--version"], asPid1: false);
        Assert.Equal(0, run.WaitForExit());
        Assert.Matches(@"^\d+\.\d+\.\d+", run.WaitForLine(_ => true));
    }

    [Fact]
    public void RunHelpDescribesTheOptions()
    {
        using var run = CrikRun.Start(["run", "--help"], asPid1: false);
        Assert.Equal(0, run.WaitForExit());
        string help = string.Join('\n', run.Stdout);
        Assert.Contains("--config", help, StringComparison.Ordinal);
        Assert.Contains("--log-level", help, StringComparison.Ordinal);
        Assert.Contains("--log-format", help, StringComparison.Ordinal);
    }

    [Fact]
    public void RunWithoutACommandIsAUsageError()
    {
        using var run = CrikRun.Start(["run"], asPid1: false);
        Assert.Equal(2, run.WaitForExit());
        Assert.Equal("crik: error: no command to run: give it after --, e.g. crik run -- /app/server --port 8080", Assert.Single(run.Stderr));
    }

    [Fact]
    public void UnknownOptionIsAUsageErrorNotACommand()
    {
        using var run = CrikRun.Start(["run", "--bogus", "--", "true"], asPid1: false);
        Assert.Equal(2, run.WaitForExit());
        Assert.Contains("unknown option --bogus", Assert.Single(run.Stderr), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run -- -app -x")]
    [InlineData("run --log-level error -- -app -x")]
    [InlineData("run --log-level=error -- -app -x")]
    public void AnAppWhoseNameBeginsWithADashRunsWhenItComesAfterTheSeparator(string arguments)
    {
        string bin = Directory.CreateTempSubdirectory("crik-dash-").FullName;
        try
        {
            string app = Path.Combine(bin, "-app");
            File.WriteAllText(app, "#!/bin/sh\necho \"ran with $1\"\n");
            File.SetUnixFileMode(app, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            var environment = new Dictionary<string, string> { ["PATH"] = $"{bin}:/usr/bin:/bin" };
            using var run = CrikRun.Start(arguments.Split(' '), asPid1: false, environment: environment);
            Assert.Equal(0, run.WaitForExit());
            Assert.Equal("ran with -x", run.WaitForLine(_ => true));
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    [Fact]
    public void ADashWordBeforeTheSeparatorIsStillAnUnknownOption()
    {
        using var run = CrikRun.Start(["run", "-app", "--", "true"], asPid1: false);
        Assert.Equal(2, run.WaitForExit());
        Assert.Contains("unknown option -app", Assert.Single(run.Stderr), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("check --bogus", "crik check --help")]
    [InlineData("checkpoint --bogus", "crik checkpoint --help")]
    [InlineData("images --bogus", "crik images --help")]
    [InlineData("bogus", "crik --help")]
    public void AUsageErrorPointsToTheHelpOfItsCommand(string arguments, string help)
    {
        using var run = CrikRun.Start(arguments.Split(' '), asPid1: false);
        Assert.Equal(2, run.WaitForExit());
        string error = Assert.Single(run.Stderr);
        Assert.StartsWith("crik: error: ", error, StringComparison.Ordinal);
        Assert.Contains($"(see {help}; ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonLogFormatWritesJsonLines()
    {
        using var run = CrikRun.Start(["run", "--log-format", "json", "--", "sh", "-c", "exit 4"], asPid1: false);
        Assert.Equal(4, run.WaitForExit());
        Assert.NotEmpty(run.Stderr);
        Assert.All(run.Stderr, line => System.Text.Json.JsonDocument.Parse(line).Dispose());
    }
}
