using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>A FIFO planted where crik expects a file cannot hang crik: open(2) would block forever on it.</summary>
public class PlantedFifoTests
{
    [Fact]
    public void AFifoAsAManifestIsSetAsideAndTheAppStarts()
    {
        using var pods = new Pods();
        string checkpoint = Directory.CreateDirectory(Path.Combine(pods.ImageDir, "checkpoint-000001")).FullName;
        HostCommand.MustRun("mkfifo", Path.Combine(checkpoint, "manifest.json"));
        using CrikRun run = CrikRun.Start(["run", "--config", pods.ConfigPath, "--", "sh", "-c", Pods.Counter()], asPid1: false);
        run.WaitForLine("count 0");
        Assert.Contains("set aside", run.WaitForLine("FIFO", stderr: true), StringComparison.Ordinal);
        Assert.Empty(pods.Committed());
        run.Signal(Native.SIGKILL);
    }
}
