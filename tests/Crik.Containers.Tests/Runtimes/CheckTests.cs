using Crik.Containers.Tests.Support;
using Xunit;

namespace Crik.Containers.Tests.Runtimes;

/// <summary><c>crik check</c> in containers that allow more or less: what a user runs first with kubectl exec.</summary>
public class CheckTests
{
    [ContainerFact]
    public void PrivilegedContainerPasses()
    {
        (int code, string output) = Check(Podman.Privileged);
        Assert.True(code == 0, output);
        Assert.Contains("ns_last_pid is writable", output, StringComparison.Ordinal);
        Assert.DoesNotContain("PROBLEM", output, StringComparison.Ordinal);
    }

    [ContainerFact]
    public void LeastPrivilegedContainerPassesAndSaysWhatItDoesWithoutTheRest()
    {
        (int code, string output) = Check(Podman.LeastPrivileged);
        Assert.True(code == 0, output);
        Assert.Contains("ns_last_pid is read-only: crik uses up the PIDs below 9000", output, StringComparison.Ordinal);
        Assert.Contains("no CAP_SYS_ADMIN", output, StringComparison.Ordinal);
        Assert.Contains("no CAP_NET_ADMIN: not needed", output, StringComparison.Ordinal);
    }

    [ContainerFact]
    public void ContainerWithoutCapabilitiesFailsAndNamesTheMissingOne()
    {
        (int code, string output) = Check(["--cap-drop", "ALL", "--security-opt", "seccomp=unconfined"]);
        Assert.True(code == 1, output);
        Assert.Contains("PROBLEM no CAP_CHECKPOINT_RESTORE", output, StringComparison.Ordinal);
        Assert.EndsWith("1 problem would stop checkpoints in this container", output.Trim(), StringComparison.Ordinal);
    }

    [ContainerFact]
    public void ContainerWithTheDefaultSeccompFilterFailsAndSaysWhatToSet()
    {
        (int code, string output) = Check(["--cap-add", "CHECKPOINT_RESTORE", "--cap-add", "SYS_PTRACE"]);
        Assert.True(code == 1, output);
        Assert.Contains("PROBLEM a seccomp filter is on", output, StringComparison.Ordinal);
        Assert.Contains("seccompProfile.type: Unconfined", output, StringComparison.Ordinal);
    }

    private static (int Code, string Output) Check(string[] security)
    {
        using var set = new StatefulSet { Security = security };
        (int code, string output, string error) = set.RunOnce(["crik", "check"]);
        return (code, output + error);
    }
}
