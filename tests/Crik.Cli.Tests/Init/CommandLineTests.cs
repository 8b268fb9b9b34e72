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

    /// <summary>Only <c>crik run</c> takes an app, so only its errors say where the app's arguments go.</summary>
    [Theory]
    [InlineData("check --bogus", "(see crik check --help)")]
    [InlineData("checkpoint --bogus", "(see crik checkpoint --help)")]
    [InlineData("images --bogus", "(see crik images --help)")]
    [InlineData("bogus", "(see crik --help)")]
    [InlineData("run --log-level bogus -- true", "(see crik run --help; put the app's own arguments after --)")]
    public void AUsageErrorPointsToTheHelpOfItsCommand(string arguments, string help)
    {
        using var run = CrikRun.Start(arguments.Split(' '), asPid1: false);
        Assert.Equal(2, run.WaitForExit());
        string error = Assert.Single(run.Stderr);
        Assert.StartsWith("crik: error: ", error, StringComparison.Ordinal);
        Assert.EndsWith($" {help}", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("chek")]
    [InlineData("RUN -- true")]
    public void AnUnknownCommandIsNamedWithTheCommandsThereAre(string arguments)
    {
        using var run = CrikRun.Start(arguments.Split(' '), asPid1: false);
        Assert.Equal(2, run.WaitForExit());
        Assert.Equal($"crik: error: unknown command '{arguments.Split(' ')[0]}': crik's commands are run, check, checkpoint, images (see crik --help)",
            Assert.Single(run.Stderr));
    }

    /// <summary>
    /// Help read by <c>| head</c>, whose reader closed the pipe first, ends as SIGPIPE would have ended crik (141) and says nothing;
    /// a stdout that cannot be written otherwise (a full disk) is one line. Before, each was a .NET stack trace.
    /// </summary>
    [Theory]
    [InlineData("closed pipe", 141, "")]
    [InlineData("/dev/full", 1, "crik: error: could not write to stdout: write(fd 1) failed: No space left on device")]
    public void HelpThatCannotBeWrittenEndsWithoutAStackTrace(string stdout, int exitCode, string error)
    {
        string script = "import os, subprocess, sys\n"
            + "if sys.argv[2] == 'closed pipe':\n    r, w = os.pipe(); os.close(r)\nelse:\n    w = os.open(sys.argv[2], os.O_WRONLY)\n"
            + "p = subprocess.run([sys.argv[1], 'run', '--help'], stdout=w, stderr=subprocess.PIPE)\n"
            + "print(p.returncode); sys.stdout.write(p.stderr.decode())\n";
        var info = new System.Diagnostics.ProcessStartInfo("python3") { RedirectStandardOutput = true };
        foreach (string arg in new[] { "-c", script, Paths.Crik, stdout })
        {
            info.ArgumentList.Add(arg);
        }
        using var python = System.Diagnostics.Process.Start(info)!;
        string[] lines = python.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        python.WaitForExit();
        Assert.Equal(exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[0]);
        Assert.Equal(error, string.Join('\n', lines[1..]));
    }

    /// <summary>An argument of the app's with a line break in it cannot end crik's line early and pass for a line of crik's own.</summary>
    [Fact]
    public void ALineBreakInWhatCrikLogsStaysInsideItsLine()
    {
        using var run = CrikRun.Start(["run", "--", "true", "one\nFAKE ERR crik: injected\r\nmore"], asPid1: false);
        Assert.Equal(0, run.WaitForExit());
        Assert.All(run.Stderr, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT", l));
        Assert.Contains(run.Stderr, l => l.Contains(@"Started true one\nFAKE ERR crik: injected\r\nmore as PID", StringComparison.Ordinal));
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
