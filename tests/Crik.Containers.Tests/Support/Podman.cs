using System.Diagnostics;
using Xunit;

namespace Crik.Containers.Tests.Support;

/// <summary>Runs podman the way this machine needs it: runc (crun fails on its cgroups), cgroupfs.</summary>
internal static class Podman
{
    /// <summary>Dockerfile.crik's runtime stage with this checkout's crik (scripts/install-containers.sh).</summary>
    public const string RuntimeImage = "localhost/crik-test-runtime:latest";

    /// <summary>The machine cannot raise rlimits (no CAP_SYS_RESOURCE): podman's defaults would fail.</summary>
    public static readonly string[] Limits = ["--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"];

    /// <summary>A privileged container: what crik's examples fall back to.</summary>
    public static readonly string[] Privileged = ["--privileged"];

    /// <summary>
    /// The least privilege crik documents: not privileged (so /proc/sys is read-only and no device is
    /// shared), CHECKPOINT_RESTORE and SYS_PTRACE added to the defaults, no seccomp filter.
    /// </summary>
    public static readonly string[] LeastPrivileged =
        ["--cap-add", "CHECKPOINT_RESTORE", "--cap-add", "SYS_PTRACE", "--security-opt", "seccomp=unconfined"];

    private static readonly string[] Global = ["--runtime", "runc", "--cgroup-manager", "cgroupfs"];

    /// <summary>podman as these tests run it, for a program of their own that runs it (a hub's spawner).</summary>
    public static IReadOnlyList<string> Command => ["podman", .. Global];

    /// <summary>Runs podman and returns its stdout; fails the test when it exits non-zero.</summary>
    public static string MustRun(params string[] args)
    {
        (int code, string output, string error) = Run(args);
        Assert.True(code == 0, $"podman {string.Join(' ', args)} exited {code}: {error}{output}");
        return output.Trim();
    }

    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var info = new ProcessStartInfo("podman") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in Global.Concat(args))
        {
            info.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(info)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"podman {string.Join(' ', args)} did not finish in 3 minutes");
        }
        return (process.ExitCode, output, error.Result);
    }

    public static bool ImageExists(string image) => Run("image", "exists", image).ExitCode == 0;
}
