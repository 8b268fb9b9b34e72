using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>
/// Links planted in the image directory (a shared volume) are never followed by crik as root: the
/// files they point to, owned by the test, are neither created, written, truncated nor deleted,
/// and the app is not lost: either it checkpoints (the link is replaced or ignored), or crik refuses
/// the directory: it cannot tell whether a checkpoint is there, so it starts nothing and exits 125
/// after lockWait, saying why.
/// </summary>
public class PlantedLinkRunTests
{
    [CriuTheory]
    // crik refuses the image directory: it cannot tell whether it holds a checkpoint, so the app never starts.
    [InlineData("logs", true, false)]
    [InlineData("set-aside", true, false)]
    [InlineData("retired", true, false)]
    [InlineData("packs", true, false)]
    [InlineData(".lock", false, false)]
    // crik does not need the name or replaces the link itself: the app checkpoints.
    [InlineData("logs/dump-000001.log", false, true)]
    [InlineData("logs/dump-000001.log.out", false, true)]
    [InlineData("logs/criu-version-1.txt", false, true)]
    [InlineData("logs/restore-000001.pid", false, true)]
    [InlineData(".staging-000001-0badf00d", true, true)]
    [InlineData("packs/000001.pack", false, true)]
    public void APlantedLinkIsNeverFollowed(string planted, bool toDirectory, bool checkpoints)
    {
        using var pods = new Pods("lockWait: 2s\n");
        string outside = Directory.CreateDirectory(Path.Combine(pods.Root, "outside")).FullName;
        for (int i = 0; i < 11; i++)
        {
            File.WriteAllText(Path.Combine(outside, $"victim-{i}.log"), $"precious {i}");
        }
        string link = Path.Combine(pods.ImageDir, planted);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        // A file link points at an existing file (must not be truncated or written) or, for .lock, a missing one (must not be created).
        string target = toDirectory ? outside : Path.Combine(outside, planted == ".lock" ? "created-through-link" : "victim-0.log");
        File.CreateSymbolicLink(link, target);

        using CrikRun run = pods.Start("sh", "-c", $"trap 'echo app-got-term; exit 7' TERM; {Pods.Counter()}");
        if (checkpoints)
        {
            run.WaitForLine("count 2");
            Pods.CheckpointAndStop(run);
            Assert.Single(pods.Committed());
        }
        else
        {
            Assert.Equal(125, run.WaitForExit());
            string refusal = Assert.Single(run.Stderr, l => l.Contains("could not tell within lockWait", StringComparison.Ordinal));
            Assert.Contains($"{link} is a symbolic link", refusal, StringComparison.Ordinal);
            Assert.Empty(Pods.Counts(run));
        }
        Assert.Equal(Enumerable.Range(0, 11).Select(i => $"victim-{i}.log").Order(),
            Directory.GetFileSystemEntries(outside).Select(Path.GetFileName).Order());
        for (int i = 0; i < 11; i++)
        {
            Assert.Equal($"precious {i}", File.ReadAllText(Path.Combine(outside, $"victim-{i}.log")));
        }
    }
}
