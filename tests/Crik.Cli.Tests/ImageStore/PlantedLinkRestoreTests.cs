using System.Globalization;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>
/// Links planted on the volume where CRIU would write at a restore (its statistics in the
/// generation, its log named for the coming seconds in the generation and in logs/) redirect
/// nothing: CRIU works in a private directory crik made, and crik copies its log into logs/ without
/// following a link. The files they point to, owned by the test, stay as they were. An encrypted
/// generation holding such a link (anything crik did not write there) is not restored at all.
/// </summary>
public sealed class PlantedLinkRestoreTests : IDisposable
{
    /// <summary>How many coming seconds get a planted log link: enough for a pod to reach its restore.</summary>
    private const int PlantedSeconds = 90;

    private readonly string _root = Directory.CreateTempSubdirectory("crik-victims-").FullName;

    private string Outside => Path.Combine(_root, "outside");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [CriuTheory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void LinksWhereCriuWritesAtARestoreRedirectNothing(bool encrypted, bool inGeneration)
    {
        using var pods = new Pods(encrypted ? $"encryptionKeyFile: {KeyFile()}\n" : "");
        Checkpoint(pods);
        List<string> victims = PlantLinks(pods, inGeneration);

        using (CrikRun second = pods.Start("sh", "-c", Pods.Counter()))
        {
            second.WaitForLine("Restored checkpoint 1 ", stderr: true);
            second.WaitForLine(_ => Pods.Counts(second).Count >= 2);
            Assert.True(Pods.Counts(second)[0] > 0, second.Transcript);
            second.Signal(Native.SIGKILL);
            second.WaitForExit();
        }
        VictimsAreUntouched(victims);
        Assert.Contains(Directory.GetFiles(Path.Combine(pods.ImageDir, "logs"), "restore-000001-*.log"),
            log => new FileInfo(log).LinkTarget is null && new FileInfo(log).Length > 0);
    }

    [CriuFact]
    public void AnEncryptedGenerationHoldingWhatCrikDidNotWriteIsSetAsideNotRestored()
    {
        using var pods = new Pods($"encryptionKeyFile: {KeyFile()}\n");
        Checkpoint(pods);
        List<string> victims = PlantLinks(pods, inGeneration: true);

        using (CrikRun second = pods.Start("sh", "-c", Pods.Counter()))
        {
            string warning = second.WaitForLine("cannot be restored", stderr: true);
            Assert.Matches(@"its directory holds restore-000001-\d{8}T\d{6}Z\.log \(a symbolic link\), which crik did not write there", warning);
            second.WaitForLine(_ => Pods.Counts(second).Count >= 2);
            Assert.Equal(0, Pods.Counts(second)[0]);
            second.Signal(Native.SIGKILL);
            second.WaitForExit();
        }
        VictimsAreUntouched(victims);
        Assert.Empty(pods.Committed());
        string setAside = Assert.Single(pods.SetAside());
        Assert.Contains("which crik did not write there", File.ReadAllText(Path.Combine(setAside, "SET-ASIDE-REASON.txt")), StringComparison.Ordinal);
    }

    private static void Checkpoint(Pods pods)
    {
        using CrikRun first = pods.Start("sh", "-c", Pods.Counter());
        first.WaitForLine("count 3");
        Pods.CheckpointAndStop(first);
    }

    /// <summary>
    /// Plants stats-restore (in the generation) and a log link for each of
    /// the coming seconds, each to a victim of its own; returns the victims.
    /// </summary>
    private List<string> PlantLinks(Pods pods, bool inGeneration)
    {
        string generation = Path.Combine(pods.ImageDir, "checkpoint-000001");
        var names = new List<string> { Path.Combine(pods.ImageDir, "logs") };
        if (inGeneration)
        {
            names.Add(generation);
        }
        var victims = new List<string>();
        Directory.CreateDirectory(Outside);
        void Plant(string link)
        {
            string victim = Path.Combine(Outside, $"victim-{victims.Count}");
            File.WriteAllText(victim, $"precious {victims.Count}");
            File.CreateSymbolicLink(link, victim);
            victims.Add(victim);
        }
        if (inGeneration)
        {
            Plant(Path.Combine(generation, "stats-restore"));
        }
        DateTime now = DateTime.UtcNow;
        for (int second = 0; second < PlantedSeconds; second++)
        {
            string stamp = now.AddSeconds(second).ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
            foreach (string directory in names)
            {
                Plant(Path.Combine(directory, $"restore-000001-{stamp}.log"));
            }
        }
        return victims;
    }

    private void VictimsAreUntouched(List<string> victims)
    {
        Assert.Equal(victims.Order(), Directory.GetFileSystemEntries(Outside).Order());
        for (int i = 0; i < victims.Count; i++)
        {
            Assert.Equal($"precious {i}", File.ReadAllText(victims[i]));
        }
    }

    private string KeyFile()
    {
        string path = Path.Combine(_root, "key");
        File.WriteAllText(path, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
