using System.Diagnostics;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>additionalPaths are copied without taking locks, and put back with their owner, group, mode and times.</summary>
public class AdditionalPathsTests
{
    /// <summary>The JVM holds an exclusive flock on /tmp/hsperfdata_USER/PID: .NET's file copy, which takes its own flock, failed on it.</summary>
    [CriuFact]
    public void AFileTheAppHoldsLockedIsSavedAndPutBackWithItsOwnerModeAndTimes()
    {
        using var pods0 = new Pods();
        string data = Directory.CreateDirectory(Path.Combine(pods0.Root, "app-data")).FullName;
        string locked = Path.Combine(data, "perf.data");
        File.WriteAllBytes(locked, Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray());
        Run("chown", "1234:5678", locked);
        File.SetUnixFileMode(locked, (UnixFileMode)0x1a0 /* 0640 */);
        File.SetLastWriteTimeUtc(locked, new DateTime(2024, 2, 3, 4, 5, 6, DateTimeKind.Utc));
        var before = Stat(locked);

        using var pods = new Pods($"additionalPaths: [{locked}]\n");
        string script = $"exec 9<>{locked}; flock -x 9; echo locked; {Pods.Counter()}";
        using (CrikRun first = pods.Start("sh", "-c", script))
        {
            first.WaitForLine("locked");
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
        }
        File.Delete(locked);
        using CrikRun second = pods.Start("sh", "-c", script);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 2);
        second.WaitForLine("Restored checkpoint 1 ", stderr: true);
        Assert.Equal(before, Stat(locked));
        Assert.Equal(5000, new FileInfo(locked).Length);
        second.Signal(Native.SIGKILL);
    }

    /// <summary>uid, gid, octal mode and mtime as stat(1) prints them.</summary>
    private static string Stat(string path) => Run("stat", "-c", "%u %g %a %Y", path).Trim();

    private static string Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output;
    }
}
