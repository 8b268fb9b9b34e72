using System.Diagnostics;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Init;

/// <summary>
/// A signal that arrives while crik is still starting (reading its configuration, looking for a
/// checkpoint) is not lost: it reaches the app as soon as the app runs.
/// </summary>
public class EarlySignalTests
{
    [ToolFact("strace")]
    public void ASigtermDeliveredWhileCrikOpensItsConfigurationReachesTheApp()
    {
        string dir = Directory.CreateTempSubdirectory("crik-test-").FullName;
        try
        {
            SigtermAtConfigOpenReachesTheApp(Path.Combine(dir, "config.yaml"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void SigtermAtConfigOpenReachesTheApp(string config)
    {
        File.WriteAllText(config, "# a plain init\n");
        // strace (a real, independent sender) delivers SIGTERM to crik on entry to the open(2) of its configuration file.
        var info = new ProcessStartInfo("strace")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in new[]
        {
            "-f", "-qq", "-o", "/dev/null", "-P", config, "-e", "trace=openat", "-e", "inject=openat:signal=SIGTERM",
            Paths.Crik, "run", "--config", config, "--", "sh", "-c", "trap 'echo app-got-term; exit 7' TERM; while :; do sleep 0.1; done",
        })
        {
            info.ArgumentList.Add(arg);
        }
        using Process crik = Process.Start(info)!;
        Task<string> stdout = crik.StandardOutput.ReadToEndAsync();
        Task<string> stderr = crik.StandardError.ReadToEndAsync();
        bool exited = crik.WaitForExit(TimeSpan.FromSeconds(30));
        if (!exited)
        {
            crik.Kill(entireProcessTree: true);
        }
        string transcript = $"stdout:\n{stdout.Result}\nstderr:\n{stderr.Result}";
        Assert.True(exited, "the app never got the SIGTERM\n" + transcript);
        // crik queued the signal and forwarded it once the app ran. The app may get it before its shell
        // has set the trap (exit 143, killed by SIGTERM) or after (exit 7): either way it was not lost.
        // Had crik no handler yet, crik itself would have died of it without forwarding anything.
        Assert.Contains("Forwarded SIGTERM to the app", stderr.Result, StringComparison.Ordinal);
        bool trapped = stdout.Result.Contains("app-got-term", StringComparison.Ordinal) && crik.ExitCode == 7;
        bool killed = stderr.Result.Contains("was killed by SIGTERM", StringComparison.Ordinal) && crik.ExitCode == 143;
        Assert.True(trapped || killed, $"the app should have ended by the SIGTERM; crik exited {crik.ExitCode}\n{transcript}");
    }
}
