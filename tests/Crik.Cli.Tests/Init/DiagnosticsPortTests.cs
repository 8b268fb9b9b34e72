using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Init;

/// <summary>crik, as PID 1, offers no .NET diagnostics port, and says nothing about it to the app's environment.</summary>
public sealed class DiagnosticsPortTests
{
    [Fact]
    public void CrikLeavesNoDiagnosticsSocketAndAddsNothingToTheAppsEnvironment()
    {
        using var run = CrikRun.Start(["run", "--", "sleep", "60"], asPid1: false);
        int app = WaitForApp(run.CrikPid);

        string tmp = Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } dir ? dir : "/tmp";
        // Its own socket only: one left by an earlier process that had the same PID names that one's start time.
        Assert.False(File.Exists(Path.Combine(tmp, $"dotnet-diagnostic-{run.CrikPid}-{StartTime(run.CrikPid)}-socket")), "crik's diagnostics socket is there");

        // crik's environment as it was given to it, against the app's as crik gave it on.
        string[] added = Environ(app).Except(Environ(run.CrikPid)).ToArray();
        Assert.True(added.Length == 0, $"crik added to the app's environment: {string.Join(", ", added)}");

        run.Signal(Native.SIGTERM);
        run.WaitForExit();
    }

    private static int WaitForApp(int crik)
    {
        var deadline = DateTime.UtcNow + CrikRun.DefaultTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (ProcessTable.ChildrenOf(crik).FirstOrDefault(p => p.Name == "sleep") is { } app)
            {
                return app.Pid;
            }
            Thread.Sleep(20);
        }
        Assert.Fail("crik did not start the app");
        return 0;
    }

    /// <summary>Field 22 of /proc/PID/stat, the process's start time in clock ticks, as the runtime names its socket.</summary>
    private static string StartTime(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
    }

    private static string[] Environ(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries);
}
