using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>
/// A checkpoint directory crik did not make (another user's, or writable by others) is never handed
/// to CRIU, which restores as root and writes inside it: it is set aside and the app starts fresh.
/// </summary>
public class StrangerCheckpointTests
{
    [NamespaceFact]
    public void ACheckpointDirectoryOfAnotherUserIsSetAside()
    {
        using var pods = new Pods();
        string checkpoint = Directory.CreateDirectory(Path.Combine(pods.ImageDir, "checkpoint-000001")).FullName;
        HostCommand.MustRun("chown", "1234:1234", checkpoint);
        using CrikRun run = CrikRun.Start(["run", "--config", pods.ConfigPath, "--", "sh", "-c", Pods.Counter()], asPid1: false);
        run.WaitForLine("count 0");
        Assert.Contains("belongs to uid 1234", run.WaitForLine("cannot be restored", stderr: true), StringComparison.Ordinal);
        Assert.Empty(pods.Committed());
        Assert.Single(pods.SetAside());
        run.Signal(Native.SIGKILL);
    }
}
