using System.Diagnostics;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>Checkpoints hold the app's memory: only crik's user can read them, whatever the umask.</summary>
public class PrivateImagesTests
{
    private const string Secret = "crik-secret-42-token";

    [CriuFact]
    public void UnderUmask022EveryEntryIsPrivateAndNobodyCanGrepTheAppsSecret()
    {
        using var pods = new Pods();
        // Others may walk down to imageDir, as on a volume mounted at a world-readable path.
        File.SetUnixFileMode(pods.Root, (UnixFileMode)0x1ed /* 0755 */);
        // The secret is made at run time, so it is in the app's memory but not on its command line.
        string script = $"SECRET=crik-secret-$((6*7))-token; {Pods.Counter()}";
        using (CrikRun run = CrikRun.Start(["run", "--config", pods.ConfigPath, "--", "sh", "-c", script], shellPrefix: "umask 022;"))
        {
            run.WaitForLine("count 2");
            Pods.CheckpointAndStop(run);
        }
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.True(GrepSecret(asNobody: false).Length > 0, "the secret should be in the images (else this test proves nothing)");

        foreach (string entry in Directory.EnumerateFileSystemEntries(pods.ImageDir, "*", SearchOption.AllDirectories).Prepend(pods.ImageDir))
        {
            UnixFileMode mode = File.GetUnixFileMode(entry);
            UnixFileMode expected = Directory.Exists(entry) ? (UnixFileMode)0x1c0 /* 0700 */ : (UnixFileMode)0x180 /* 0600 */;
            Assert.True(mode == expected, $"{entry} has mode {Convert.ToString((int)mode, 8)}");
        }
        Assert.DoesNotContain(Secret, GrepSecret(asNobody: true), StringComparison.Ordinal);

        string GrepSecret(bool asNobody)
        {
            var info = new ProcessStartInfo(asNobody ? "setpriv" : "grep") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in (asNobody ? ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "grep"] : Array.Empty<string>())
                .Concat(["-r", "-a", "-o", Secret, pods.ImageDir]))
            {
                info.ArgumentList.Add(arg);
            }
            using Process grep = Process.Start(info)!;
            string output = grep.StandardOutput.ReadToEnd();
            grep.StandardError.ReadToEnd();
            grep.WaitForExit();
            return output;
        }
    }
}
