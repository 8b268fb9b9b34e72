using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Privileges;

/// <summary>
/// crik check on a volume's imageDir: one it could not list (as crik run would at start) is a
/// problem; one on the container's own root file system is a note saying its checkpoints will not
/// outlive the container; one on a mounted volume gets no such note.
/// </summary>
public sealed class ImageDirCheckTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void AnImageDirOnTheRootFileSystemIsANoteSayingToMountAVolumeThere()
    {
        // Directly below "/", never created by crik check: its nearest mount point is "/" on any machine.
        string imageDir = $"/crik-test-not-a-volume-{Guid.NewGuid():N}/images";
        (int _, string output, string _) = CrikCommand.Run(["check", "--config", _dir.Write("config.yaml", $"imageDir: {imageDir}\n")]);
        string note = Assert.Single(output.Split('\n'), l => l.Contains("container's own root file system", StringComparison.Ordinal));
        Assert.StartsWith($"note    imageDir {imageDir} is on the container's own root file system, not on a mounted volume, so its checkpoints will not outlive this container",
            note, StringComparison.Ordinal);
        Assert.Contains("mount a PersistentVolumeClaim there", note, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.GetDirectoryName(imageDir)), "crik check creates nothing");
    }

    [NamespaceFact]
    public void AnImageDirOnAMountedVolumeGetsNoNote()
    {
        string volume = Directory.CreateDirectory(Path.Combine(_dir.Path, "volume")).FullName;
        string config = _dir.Write("config.yaml", $"imageDir: {volume}/images\n");
        using CrikRun check = CrikRun.Start(["check", "--config", config], insideNamespaces: $"mount -t tmpfs crik-test {volume}");
        check.WaitForExit();
        Assert.Contains(check.Stdout, l => l.StartsWith($"ok      imageDir {volume}/images is writable", StringComparison.Ordinal));
        Assert.DoesNotContain(check.Stdout, l => l.Contains("root file system", StringComparison.Ordinal));
    }

    [Fact]
    public void AnImageDirCrikCannotListIsAProblemSayingCrikRunWouldStartNothing()
    {
        string imageDir = Directory.CreateDirectory(Path.Combine(_dir.Path, "images")).FullName;
        File.WriteAllText(Path.Combine(imageDir, "retired"), "not a directory");
        (int code, string output, string _) = CrikCommand.Run(["check", "--config", _dir.Write("config.yaml", $"imageDir: {imageDir}\n")]);
        Assert.Equal(1, code);
        string problem = Assert.Single(output.Split('\n'), l => l.StartsWith($"PROBLEM imageDir {imageDir}", StringComparison.Ordinal));
        Assert.StartsWith($"PROBLEM imageDir {imageDir}: crik cannot list it ({imageDir}/retired is a regular file where crik expects a directory", problem, StringComparison.Ordinal);
        Assert.Contains("crik run would start nothing there", problem, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}
