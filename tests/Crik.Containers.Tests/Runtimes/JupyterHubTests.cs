using System.Net;
using Crik.Containers.Tests.Jupyter;
using Crik.Containers.Tests.Support;
using Xunit;

namespace Crik.Containers.Tests.Runtimes;

/// <summary>
/// Through a real JupyterHub: the user's server is stopped with the hub's "Stop my server" (crik checkpoints it, as
/// with no node-state server every stop does) and started again twice. Each start gives the server a new API token and
/// deletes the old one; crik's afterRestore program (examples/jupyterhub/crik_jupyterhub.py) hands the restored server
/// the new one, so a user who logs in afresh gets through the hub's OAuth to the same kernel.
/// </summary>
public class JupyterHubTests
{
    private const string Home = "/home/jovyan";

    [ContainerFact]
    public async Task AServerStoppedAndStartedThroughTheHubLetsItsUserInToTheSameKernel()
    {
        Assert.True(File.Exists("/usr/bin/jupyterhub"), "Debian's jupyterhub must be installed on this machine (scripts/test.sh installs it)");
        using var set = new StatefulSet(Home) { ExtraConfig = "afterRestore: [python3, -m, crik_jupyterhub]\n" };
        List<(Pod Pod, string[] Run)> pods = [set.Planned(), set.Planned(), set.Planned()];
        using var hub = new Hub(pods.Select(p => p.Run));
        await hub.WaitUntilUpAsync();
        string? kernel = null;
        string? oldToken = null;
        for (int number = 1; number <= pods.Count; number++)
        {
            Pod pod = pods[number - 1].Pod;
            await hub.StartServerAsync();
            if (number > 1)
            {
                pod.ExpectRestored(number - 1);
                pod.WaitForLog("crik_jupyterhub: the server (PID ");
                pod.WaitForLog("The afterRestore program python3 (PID ");
                Assert.Contains(") adopted the hub token of this pod", pod.Logs, StringComparison.Ordinal);
                Assert.Matches(@"The afterRestore program python3 \(PID \d+\) ended well in", pod.Logs);
                Assert.Equal(HttpStatusCode.Forbidden, await hub.AskWithTokenAsync(oldToken!)); // without the handover, the server would hold this one
            }
            using (NotebookServer server = hub.ServerAsAdmin())
            {
                kernel ??= await server.StartKernelAsync();
                Assert.Equal([kernel], await server.KernelIdsAsync());
            }
            (HttpStatusCode status, string body) = await hub.LogInAndListKernelsAsync();
            Assert.True(status == HttpStatusCode.OK && body.Contains(kernel, StringComparison.Ordinal),
                $"the user could not get in to the server of pod {number}: {status} {body}\n{pod.Diagnostics}\nhub:\n{hub.Log}");
            oldToken = Token(pod);
            await hub.StopServerAsync();
            Assert.Contains("committed", pod.Logs, StringComparison.Ordinal);
        }
    }

    /// <summary>The API token the hub gave the pod's server, from the container's environment.</summary>
    private static string Token(Pod pod) =>
        Podman.MustRun("inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", pod.Name)
            .Split('\n').Single(l => l.StartsWith("JUPYTERHUB_API_TOKEN=", StringComparison.Ordinal))["JUPYTERHUB_API_TOKEN=".Length..];
}
