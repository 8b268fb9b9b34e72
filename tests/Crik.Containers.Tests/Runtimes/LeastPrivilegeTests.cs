using System.Text.RegularExpressions;
using Crik.Containers.Tests.Support;
using Xunit;

namespace Crik.Containers.Tests.Runtimes;

/// <summary>crik in containers that are not privileged: only CHECKPOINT_RESTORE and SYS_PTRACE added, no hostPath, read-only /proc/sys.</summary>
public partial class LeastPrivilegeTests
{
    [ContainerFact]
    public async Task ServiceComesBackAcrossNewUnprivilegedContainersWithItsPidsAbove9000()
    {
        using var set = new StatefulSet { Security = Podman.LeastPrivileged, ExtraConfig = "lazyRestore: on\n" };
        await set.ThreePodsAsync(["python3", "/apps/python-service.py"], async (pod, number) =>
        {
            Assert.Equal("read-only", pod.Exec("sh", "-c", "echo > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo writable || echo read-only"));
            pod.WaitForPort(8080);
            await pod.WaitForHttpAsync(8080);
            for (int hit = (2 * number) - 1; hit <= 2 * number; hit++)
            {
                await pod.ExpectAsync(8080, $"hits {hit} log {hit} tmp {hit} shm {hit}");
            }
            if (number > 1)
            {
                // Without CAP_SYS_ADMIN CRIU runs --unprivileged, which turns userfaultfd off: crik restores eagerly and says why.
                Assert.Contains("not lazily: CRIU runs with --unprivileged here", pod.Logs, StringComparison.Ordinal);
            }
            Match pid = AppPid().Match(pod.Logs);
            Assert.True(pid.Success && int.Parse(pid.Groups[1].Value) >= 9000, $"the app's PID should be 9000 or more\n{pod.Diagnostics}");
        });
    }

    // "Started COMMAND as PID N" for a fresh start, "the app runs again as PID N" after a restore.
    [GeneratedRegex(@"(?:Started .* as PID|runs again as PID) (\d+)")]
    private static partial Regex AppPid();
}
