using System.Diagnostics;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Configuration;

/// <summary>
/// Hostile or broken configuration files: crik never crashes, hangs or reads without bound; it says
/// what is wrong in one line and exits 2, and the app never starts.
/// </summary>
public sealed class ConfigFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-config-file-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void EmptyConfigFlagIsAnError() =>
        AssertRefused(["--config", ""], "crik: error: --config is empty: give the path of the configuration file");

    [Fact]
    public void DirectoryIsRefused() =>
        AssertRefused(["--config", _dir], $"crik: error: {_dir}: is a directory, not a regular file");

    [Fact]
    public void FifoIsRefusedWithoutWaitingForAWriter()
    {
        string fifo = Path.Combine(_dir, "config.yaml");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            mkfifo.WaitForExit();
        }
        AssertRefused(["--config", fifo], $"crik: error: {fifo}: is a FIFO (named pipe), not a regular file");
    }

    [Fact]
    public void DeviceNamedByCrikConfigIsRefusedWithoutReadingIt() =>
        AssertRefused([], "crik: error: /dev/zero: is a character device, not a regular file",
            new Dictionary<string, string> { ["CRIK_CONFIG"] = "/dev/zero" });

    [Fact]
    public void FileOverOneMebibyteIsRefused()
    {
        string path = Write("imageDir: /" + new string('a', 1024 * 1024) + "\n");
        AssertRefused(["--config", path], $"crik: error: {path}: the file is {new FileInfo(path).Length} bytes; a configuration file may be at most 1 MiB");
    }

    [Fact]
    public void DeeplyNestedYamlIsRefusedInsteadOfOverflowingTheStack()
    {
        string path = Write(new string('[', 100_000) + new string(']', 100_000) + "\n");
        AssertRefused(["--config", path], $"crik: error: {path}:1: lists and mappings nest deeper than 64 levels");
    }

    [Fact]
    public void InvalidUtf8IsRefusedWithItsLine()
    {
        string path = Path.Combine(_dir, "latin1.yaml");
        File.WriteAllBytes(path, [.. "imageDir: /ok\n# caf"u8, 0xE9, (byte)'\n']);
        AssertRefused(["--config", path], $"crik: error: {path}:2: the file is not valid UTF-8 (byte 0xE9 at offset 19)");
    }

    [Fact]
    public void UnreadableFileGivesTheSystemsSentenceNotAResourceKey()
    {
        // Root reads anything, so the check runs as nobody against a root-only file.
        File.SetUnixFileMode(_dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        string path = Write("imageDir: /ok\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        const string asNobody = "set -- setpriv --reuid=nobody --regid=nogroup --clear-groups \"$@\";";
        using var run = CrikRun.Start(["run", "--config", path, "--", "true"], asPid1: false, shellPrefix: asNobody);
        Assert.Equal(2, run.WaitForExit());
        Assert.Equal($"crik: error: {path}: cannot read the configuration file: Access to the path '{path}' is denied.", Assert.Single(run.Stderr));
    }

    [Theory]
    [InlineData("")]
    [InlineData("# imageDir: /var/lib/crik\n")]
    [InlineData("keepCheckpoints: 3\n")]
    public void FileWithoutImageDirWarnsThatCheckpointingIsOff(string yaml)
    {
        string path = Write(yaml);
        using var run = CrikRun.Start(["run", "--config", path, "--", "true"], asPid1: false);
        Assert.Equal(0, run.WaitForExit());
        Assert.Contains(run.Stderr, l => l.Contains("WRN", StringComparison.Ordinal)
            && l.Contains($"{path}: no imageDir is set, so checkpointing is off", StringComparison.Ordinal));
    }

    [Fact]
    public void TimeoutLongerThanAnExplicitBudgetIsAWarning()
    {
        string path = Write("checkpointBudget: 20s\ncheckpointTimeout: 40s\n");
        using var run = CrikRun.Start(["run", "--config", path, "--", "true"], asPid1: false);
        Assert.Equal(0, run.WaitForExit());
        Assert.Contains(run.Stderr, l => l.Contains(
            $"{path}:1: checkpointTimeout (40s) is longer than checkpointBudget (20s); it will be cut to the budget", StringComparison.Ordinal));
    }

    private void AssertRefused(string[] configArgs, string expectedStart, Dictionary<string, string>? environment = null)
    {
        string marker = Path.Combine(_dir, "app-started");
        using var run = CrikRun.Start(["run", .. configArgs, "--", "touch", marker], asPid1: false, environment: environment);
        Assert.Equal(2, run.WaitForExit());
        string line = Assert.Single(run.Stderr);
        Assert.StartsWith(expectedStart, line, StringComparison.Ordinal);
        Assert.False(File.Exists(marker), "the app must not start with a bad configuration");
    }

    private string Write(string yaml)
    {
        string path = Path.Combine(_dir, $"config-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }
}
