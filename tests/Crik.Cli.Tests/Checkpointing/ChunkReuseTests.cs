using System.Text.Json.Nodes;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// Images stream through crik into content-addressed chunks: a checkpoint writes only the chunks
/// no kept generation holds, and a chunk that is missing or not what was written never reaches the app.
/// </summary>
public class ChunkReuseTests
{
    private static readonly string[] App = ["python3", Paths.App("chunky-memory.py"), "96"];

    [CriuTheory]
    [InlineData(false)]
    [InlineData(true)] // chunk boundaries then come from a keyed hash: one key still cuts unchanged memory the same way
    public void ASigtermCheckpointAfterAPeriodicOneWritesOnlyWhatChangedAndTheAppComesBackWholeAcrossThreePods(bool encrypted)
    {
        using var pods = new Pods("checkpointInterval: 2s\n");
        if (encrypted)
        {
            string key = Path.Combine(pods.Root, "key");
            File.WriteAllText(key, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n");
            File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.AppendAllText(pods.ConfigPath, $"encryptionKeyFile: {key}\n");
        }
        using (CrikRun first = pods.Start(App))
        {
            first.WaitForLine("allocated 96", TimeSpan.FromSeconds(60));
            // A checkpoint committed after that line may have been captured before it (the app runs
            // on while crik commits); the second one after it was captured with all 96 MiB in place.
            int from = first.Stderr.Count;
            first.WaitForLine(_ => first.Stderr.Skip(from).Count(l => l.Contains(" committed", StringComparison.Ordinal)) >= 2,
                TimeSpan.FromSeconds(60), stderr: true);
            Pods.CheckpointAndStop(first);
        }
        string last = pods.Committed().Last();
        JsonNode manifest = pods.Manifest(last);
        long imageBytes = (long)manifest["imageBytes"]!, writtenBytes = (long)manifest["writtenBytes"]!;
        Assert.True(imageBytes > 96 << 20, $"{imageBytes} bytes of images");
        // 96 MiB never change; a 1 MiB scratch area and the interpreter's own memory do.
        Assert.True(writtenBytes * 7 <= imageBytes, $"{last} wrote {writtenBytes} of {imageBytes} bytes: more than a seventh");
        Assert.Contains(Pods.StreamedImages(manifest).Values.SelectMany(c => c), c => (long)c!["pack"]! < 2);

        using (CrikRun second = pods.Start(App))
        {
            second.WaitForLine("Restored checkpoint", stderr: true);
            Pods.AppIsWhole(second);
            Pods.CheckpointAndStop(second);
        }
        using CrikRun third = pods.Start(App);
        third.WaitForLine("Restored checkpoint", stderr: true);
        Pods.AppIsWhole(third);
        third.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void AFlippedByteInAChunkIsRefusedBeforeTheAppRunsAndTheAppStartsFresh()
    {
        using var pods = new Pods();
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 5");
            Pods.CheckpointAndStop(first);
        }
        FlipByteInTheLargestChunk(pods, "checkpoint-000001");
        using CrikRun second = pods.Start("sh", "-c", Pods.Counter());
        string error = second.WaitForLine("restoring checkpoint 1 failed", stderr: true);
        Assert.Contains("does not match its XXH3-64", error, StringComparison.Ordinal);
        Assert.Contains("crik stopped criu before the app ran", error, StringComparison.Ordinal);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 3);
        Assert.Equal(0, Pods.Counts(second)[0]); // fresh, and nothing restored ever printed
        Assert.Single(pods.SetAside());
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void AMissingPackMakesItsGenerationUnrestorableAndCrikFallsBackToTheOlderOne()
    {
        using var pods = new Pods("checkpointInterval: 1s\nkeepCheckpoints: 2\n");
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("Checkpoint 2 committed", stderr: true);
            first.Signal(Native.SIGKILL); // the node is gone: two periodic generations are left
            first.WaitForExit();
        }
        Assert.Equal(["checkpoint-000001", "checkpoint-000002"], pods.Committed());
        File.Delete(pods.Pack(2));
        using CrikRun second = pods.Start("sh", "-c", Pods.Counter());
        string warning = second.WaitForLine("cannot be restored", stderr: true);
        Assert.Contains("packs/000002.pack, which is missing", warning, StringComparison.Ordinal);
        second.WaitForLine("Restored checkpoint 1 ", stderr: true);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 2);
        Assert.True(Pods.Counts(second)[0] > 0, second.Transcript);
        second.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// The volume fills while CRIU writes the app's memory, its parasite inside the app: crik closes its image pipes
    /// and CRIU fails on its own, taking its parasite out. Killed instead, it would leave the app to die of SIGTRAP.
    /// </summary>
    [CriuTheory]
    [InlineData(40)]
    [InlineData(200)] // far more than the volume holds: it fills while the memory streams, whatever the node's load
    public void AVolumeThatFillsWhileImagesStreamLeavesNothingAndTheAppGetsItsSigterm(int mib)
    {
        using var pods = new Pods();
        Directory.CreateDirectory(pods.ImageDir);
        HostCommand.MustRun("mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "crik-test-full", pods.ImageDir);
        try
        {
            using CrikRun run = pods.Start("sh", "-c", $"trap 'kill $child; echo app-got-term; exit 9' TERM; python3 {Paths.App("chunky-memory.py")} {mib} & child=$!; wait $child");
            run.WaitForLine($"allocated {mib}", TimeSpan.FromSeconds(60));
            pods.SigtermReachesTheAppWithoutACheckpoint(run, 9);
            string failed = Assert.Single(run.Stderr, l => l.Contains("Checkpoint 1 failed", StringComparison.Ordinal));
            Assert.Contains("No space left on device", failed, StringComparison.Ordinal);
            Assert.DoesNotContain("SIGKILL", failed, StringComparison.Ordinal); // criu stopped on its own
            Assert.Contains($"there is no room left for the checkpoint in {pods.ImageDir}: free space on its volume", failed, StringComparison.Ordinal);
            Assert.Empty(Directory.GetDirectories(pods.ImageDir, "checkpoint-*"));
            Assert.Empty(Directory.GetDirectories(pods.ImageDir, ".staging-*"));
            Assert.False(File.Exists(pods.Pack(1)), "the failed dump's pack is removed");
        }
        finally
        {
            HostCommand.Run("umount", "-l", pods.ImageDir);
        }
    }

    /// <summary>Flips a byte in the middle of the checkpoint's largest chunk, in its pack.</summary>
    private static void FlipByteInTheLargestChunk(Pods pods, string checkpoint)
    {
        JsonNode chunk = Pods.StreamedImages(pods.Manifest(checkpoint)).Values.SelectMany(c => c).OrderByDescending(c => (int)c!["length"]!).First()!;
        string pack = pods.Pack((int)(long)chunk["pack"]!);
        using var file = File.Open(pack, FileMode.Open, FileAccess.ReadWrite);
        file.Position = (long)chunk["offset"]! + (int)chunk["length"]! / 2;
        int b = file.ReadByte();
        file.Position--;
        file.WriteByte((byte)(b ^ 0xff));
    }
}
