using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>crik images: what an image directory holds, read without changing it.</summary>
public class ImagesCommandTests
{
    [CriuFact]
    public void ListsGenerationsAndWithVerifyNamesACorruptImage()
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

        byte[] bytes = File.ReadAllBytes(pods.Pack(1));
        bytes[bytes.Length / 2] ^= 0xff;
        File.WriteAllBytes(pods.Pack(1), bytes);
        DateTime before = Directory.GetLastWriteTimeUtc(pods.ImageDir);

        Assert.Contains(" ok ", Images("--image-dir", pods.ImageDir).Output, StringComparison.Ordinal); // the manifest alone is fine
        (int verified, string checkedOutput) = Images("--image-dir", pods.ImageDir, "--verify");
        Assert.Equal(0, verified);
        Assert.Contains("does not match its SHA-256", checkedOutput, StringComparison.Ordinal);
        Assert.Equal(["checkpoint-000001"], pods.Committed()); // listing never sets anything aside
        Assert.Equal(before, Directory.GetLastWriteTimeUtc(pods.ImageDir));
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
