using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>
/// Links planted in the image directory (a shared volume) are never followed by crik as root: the
/// files they point to, owned by the test, are neither created, written, truncated nor deleted,
/// and the app is not lost: either it checkpoints (the link is replaced or ignored), or crik refuses
/// the directory in one line, the app starts fresh and gets its SIGTERM (no checkpoint).
/// </summary>
public class PlantedLinkRunTests
{
    [CriuTheory]
    // crik refuses the image directory: the app runs and gets SIGTERM.
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
        using var pods = new Pods();
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
        run.WaitForLine("count 2");
        if (checkpoints)
        {
            Pods.CheckpointAndStop(run);
            Assert.Single(pods.Committed());
        }
        else
        {
            string refusal = run.WaitForLine("cannot be used", stderr: true);
            Assert.Contains($"{link} is a symbolic link", refusal, StringComparison.Ordinal);
            Assert.Contains("starting the app fresh", refusal, StringComparison.Ordinal);
            run.Signal(Native.SIGTERM);
            run.WaitForLine("app-got-term");
            Assert.Equal(7, run.WaitForExit());
        }
        Assert.Equal(Enumerable.Range(0, 11).Select(i => $"victim-{i}.log").Order(),
            Directory.GetFileSystemEntries(outside).Select(Path.GetFileName).Order());
        for (int i = 0; i < 11; i++)
        {
            Assert.Equal($"precious {i}", File.ReadAllText(Path.Combine(outside, $"victim-{i}.log")));
        }
    }
}
