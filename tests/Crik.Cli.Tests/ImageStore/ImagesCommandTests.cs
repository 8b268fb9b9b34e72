using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>crik images: what an image directory holds, read without changing it.</summary>
public class ImagesCommandTests
{
    [CriuFact]
    public void ListsGenerationsAndWithVerifyNamesACorruptImageAndExitsOneForACommittedOne()
    {
        using var pods = new Pods();
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
        }
        (int code, string output) = Images("--config", pods.ConfigPath);
        Assert.True(code == 0, output);
        string row = output.Split('\n').Single(l => l.StartsWith("1 ", StringComparison.Ordinal));
        Assert.Contains("committed", row, StringComparison.Ordinal);
        Assert.Contains(" ok ", row, StringComparison.Ordinal);
        Assert.EndsWith(Pods.Counter(), row.Trim(), StringComparison.Ordinal);
        (int clean, string cleanOutput) = Images("--image-dir", pods.ImageDir, "--verify");
        Assert.True(clean == 0, cleanOutput);

        // A byte inside a chunk: a pack written past the page cache has gaps between its chunks, which no read checks.
        System.Text.Json.Nodes.JsonNode chunk = Pods.StreamedImages(pods.Manifest()).Values.SelectMany(c => c).OrderByDescending(c => (int)c!["length"]!).First()!;
        byte[] bytes = File.ReadAllBytes(pods.Pack(1));
        bytes[(long)chunk["offset"]! + ((int)chunk["length"]! / 2)] ^= 0xff;
        File.WriteAllBytes(pods.Pack(1), bytes);
        DateTime before = Directory.GetLastWriteTimeUtc(pods.ImageDir);

        Assert.Contains(" ok ", Images("--image-dir", pods.ImageDir).Output, StringComparison.Ordinal); // the manifest alone is fine
        (int verified, string checkedOutput) = Images("--image-dir", pods.ImageDir, "--verify");
        Assert.True(verified == 1, checkedOutput); // scripts and probes can rely on the exit code
        Assert.Contains("does not match its XXH3-64", checkedOutput, StringComparison.Ordinal);
        Assert.EndsWith("crik images: 1 committed generation fails verification: the next start would not restore it", checkedOutput.Trim(), StringComparison.Ordinal);
        Assert.Equal(["checkpoint-000001"], pods.Committed()); // listing never sets anything aside
        Assert.Equal(before, Directory.GetLastWriteTimeUtc(pods.ImageDir));

        // Once retired, the corrupt generation is no one's to restore: it is listed, but the exit code is 0.
        Directory.CreateDirectory(Path.Combine(pods.ImageDir, "retired"));
        Directory.Move(Path.Combine(pods.ImageDir, "checkpoint-000001"), Path.Combine(pods.ImageDir, "retired", "checkpoint-000001"));
        (int retired, string retiredOutput) = Images("--image-dir", pods.ImageDir, "--verify");
        Assert.True(retired == 0, retiredOutput);
        Assert.Contains("does not match its XXH3-64", retiredOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAnImageDirItSaysWhatToGive()
    {
        using var dir = new TempDirectory();
        (int code, string output) = Images("--config", dir.Write("c.yaml", "# none\n"));
        Assert.Equal(2, code);
        Assert.Equal("crik: error: no imageDir: give --image-dir, or a configuration with imageDir", output.Trim());
        Assert.Contains("does not exist: nothing has been checkpointed there", Images("--image-dir", Path.Combine(dir.Path, "none")).Output, StringComparison.Ordinal);
    }

    private static (int Code, string Output) Images(params string[] args)
    {
        (int code, string output, string error) = CrikCommand.Run(["images", .. args]);
        return (code, output + error);
    }
}
