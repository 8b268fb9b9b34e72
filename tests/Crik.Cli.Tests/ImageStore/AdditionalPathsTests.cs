using System.Diagnostics;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>additionalPaths are copied without taking locks, and put back with their owner, group, mode, times and extended attributes.</summary>
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
        // A user.* attribute, and an ACL that lets uid 1234 read (its mask, the group's bits, is r as the mode's).
        Run("python3", "-c", "import os, sys; os.setxattr(sys.argv[1], 'user.origin', b'upload'); os.setxattr(sys.argv[1], 'system.posix_acl_access', "
            + "bytes.fromhex('02000000010006 00ffffffff02000400d204000004000400ffffffff10000400ffffffff20000000ffffffff'.replace(' ', '')))", locked);
        File.SetLastWriteTimeUtc(locked, new DateTime(2024, 2, 3, 4, 5, 6, DateTimeKind.Utc));
        var before = Stat(locked);
        string attributes = Attributes(locked);
        Assert.Contains("user.origin=", attributes, StringComparison.Ordinal);

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
        Assert.Equal(attributes, Attributes(locked));
        Assert.Equal(5000, new FileInfo(locked).Length);
        second.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// Between crik's look at a directory of additionalPaths and its open of it, another container sharing the volume puts a link to
    /// a directory of root's in its place. crik does not follow it: the checkpoint fails with a line that names the path, and
    /// nothing from where the link leads is in the image directory. Reading by path, as crik did before, went where it led.
    /// </summary>
    [CriuFact]
    public void ALinkPutInASavedDirectorysPlaceAsCrikSavesItIsNotFollowed()
    {
        using var pods0 = new Pods();
        string secret = Directory.CreateDirectory(Path.Combine(pods0.Root, "root-only")).FullName;
        File.WriteAllText(Path.Combine(secret, "key"), "secret-of-root");
        string tree = Directory.CreateDirectory(Path.Combine(pods0.Root, "app-data")).FullName;
        string cache = Directory.CreateDirectory(Path.Combine(tree, "cache")).FullName;
        File.WriteAllText(Path.Combine(cache, "entry"), "app's");
        using var pods = new Pods($"additionalPaths: [{tree}]\n");
        string hold = Path.Combine(pods.Root, "save-held");
        using CrikRun pod = pods.StartWith(new Dictionary<string, string> { ["CRIK_TEST_SAVE_HOLD_FILE"] = hold }, "sh", "-c", Pods.Counter());
        pod.WaitForLine("count 1");
        File.WriteAllText(hold, "");
        pod.Signal(Native.SIGTERM);
        pod.WaitForLine("crik test: holding at CRIK_TEST_SAVE_HOLD_FILE", TimeSpan.FromSeconds(60), stderr: true);
        Directory.Delete(tree, recursive: true);
        File.CreateSymbolicLink(tree, secret);
        File.Delete(hold);
        pod.WaitForExit();

        Assert.True(pod.Stderr.Any(l => l.Contains("Checkpoint 1 failed", StringComparison.Ordinal)
            && l.Contains($"{tree} changed as crik saved it", StringComparison.Ordinal)), pod.Transcript);
        Assert.Empty(pods.Committed());
        Assert.DoesNotContain(Directory.EnumerateFiles(pods.Root, "*", SearchOption.AllDirectories),
            f => !f.StartsWith(secret, StringComparison.Ordinal) && new FileInfo(f).Length < 4096 && File.ReadAllText(f).Contains("secret-of-root", StringComparison.Ordinal));
    }

    /// <summary>
    /// As a restore puts a saved tree back, another container sharing the volume moves one of its directories away and makes
    /// its own in its place, before crik gives the directories their saved owner and mode. crik does not give them to that
    /// one: the restore fails with a line that names the path, the other directory keeps its owner and mode, and the
    /// checkpoint stays. Reaching the directory again by path, as crik did before, gave it to the saved owner.
    /// </summary>
    [CriuFact]
    public void ADirectoryPutInASavedDirectorysPlaceAsCrikPutsItBackKeepsItsOwner()
    {
        using var pods0 = new Pods();
        string tree = Directory.CreateDirectory(Path.Combine(pods0.Root, "app-data")).FullName;
        string cache = Directory.CreateDirectory(Path.Combine(tree, "cache")).FullName;
        File.WriteAllText(Path.Combine(cache, "entry"), "app's");
        Run("chown", "1234:1234", cache);
        File.SetUnixFileMode(cache, (UnixFileMode)0x1c0 /* 0700 */);
        using var pods = new Pods($"additionalPaths: [{tree}]\n");
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 1");
            Pods.CheckpointAndStop(first);
        }
        Directory.Delete(tree, recursive: true);
        string hold = Path.Combine(pods.Root, "put-back-held");
        File.WriteAllText(hold, "");
        using CrikRun second = pods.StartWith(new Dictionary<string, string> { ["CRIK_TEST_PUT_BACK_HOLD_FILE"] = hold }, "sh", "-c", Pods.Counter());
        second.WaitForLine("crik test: holding at CRIK_TEST_PUT_BACK_HOLD_FILE", TimeSpan.FromSeconds(60), stderr: true);
        Directory.Move(cache, Path.Combine(tree, "moved-away"));
        Directory.CreateDirectory(cache);
        Run("chown", "4321:4321", cache);
        File.SetUnixFileMode(cache, (UnixFileMode)0x1ff /* 0777 */);
        File.Delete(hold);
        second.WaitForLine(l => l.Contains($"{cache} was replaced by another directory", StringComparison.Ordinal), TimeSpan.FromSeconds(60), stderr: true);
        second.Signal(Native.SIGKILL);
        second.WaitForExit();

        Assert.StartsWith("4321 4321 777 ", Stat(cache), StringComparison.Ordinal);
        Assert.Equal(["checkpoint-000001"], pods.Committed());
    }

    /// <summary>Every extended attribute of a file, as "name=hex;...".</summary>
    private static string Attributes(string path) => Run("python3", "-c",
        "import os, sys; p = sys.argv[1]; print(';'.join(f'{n}={os.getxattr(p, n).hex()}' for n in sorted(os.listxattr(p))))", path).Trim();

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
