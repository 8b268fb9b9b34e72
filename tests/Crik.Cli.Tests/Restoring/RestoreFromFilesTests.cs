using System.Text.Json.Nodes;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// An app that reserves more address space than the machine has (as .NET does) cannot be restored
/// by CRIU from a stream; crik restores it from image files instead, once, and never twice.
/// </summary>
public class RestoreFromFilesTests
{
    private static readonly string[] App = ["python3", Paths.App("reserve-memory.py")];

    [CriuFact]
    public void AnAppWithAHugeReservationIsRestoredFromFilesStraightAway()
    {
        using var pods = new Pods();
        CheckpointOnce(pods);
        Assert.True((long)pods.Manifest()["largestPrivateArea"]! >= 1L << 40);
        using CrikRun second = pods.Start(App);
        second.WaitForLine("restoring it from image files", stderr: true);
        second.WaitForLine("Restored checkpoint 1 ", stderr: true);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 2);
        Assert.True(Pods.Counts(second)[0] > 0, second.Transcript);
        Assert.DoesNotContain(second.Stderr, l => l.Contains("cannot restore this app from a stream", StringComparison.Ordinal));
        Assert.Empty(Directory.GetDirectories(Path.GetTempPath(), "crik-images-000001-*"));
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void WhenTheStreamRestoreFailsOnTheReservationTheSameGenerationIsRestoredFromFiles()
    {
        using var pods = new Pods();
        CheckpointOnce(pods);
        // A manifest that does not record the reservation (as an older crik wrote): CRIU tries the stream first.
        string path = Path.Combine(pods.ImageDir, "checkpoint-000001", "manifest.json");
        JsonNode manifest = JsonNode.Parse(File.ReadAllText(path))!;
        manifest.AsObject().Remove("largestPrivateArea");
        File.WriteAllText(path, manifest.ToJsonString());
        using CrikRun second = pods.Start(App);
        string fallback = second.WaitForLine("cannot restore this app from a stream", stderr: true);
        Assert.Contains("Unable to map ANON_VMA: Cannot allocate memory", fallback, StringComparison.Ordinal);
        second.WaitForLine("Restored checkpoint 1 ", stderr: true);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 3);
        Assert.True(Pods.Counts(second)[0] > 0, second.Transcript);
        // Exactly one copy of the app runs: its counts go up one by one.
        List<int> counts = Pods.Counts(second);
        Assert.Equal(counts.Distinct().Count(), counts.Count);
        second.Signal(Native.SIGKILL);
    }

    private static void CheckpointOnce(Pods pods)
    {
        using CrikRun first = pods.Start(App);
        first.WaitForLine("count 3");
        Pods.CheckpointAndStop(first);
    }
}
