using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Xunit;

namespace Crik.NodeStateServer.Tests.Support;

/// <summary>
/// The real crik as PID 1 in fresh PID, mount, IPC and UTS namespaces (as in a container), with an
/// image directory and a configuration that points at a node-state server.
/// </summary>
internal sealed partial class CrikPod : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    public CrikPod(string configPath, string nodeName, string script)
    {
        var info = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string arg in (string[])["--pid", "--fork", "--mount-proc", "--ipc", "--uts", "--kill-child",
                     Path.Combine(RepoPaths.Root, "artifacts", "bin", "Crik.Cli", "debug", "crik"), "run", "--config", configPath, "--", "sh", "-c", script])
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["KUBERNETES_NODE_NAME"] = nodeName;
        _process = Process.Start(info)!;
        _process.StandardInput.Close();
        _process.OutputDataReceived += (_, e) => { lock (_stdout) _stdout.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public Task WaitForOutputAsync(string text) =>
        Poll.UntilAsync(() => Stdout.Contains(text, StringComparison.Ordinal), $"the app to print {text}", diagnostics: () => Stderr);

    /// <summary>Sends SIGTERM to crik (the child of unshare), as the kubelet does.</summary>
    public void Terminate()
    {
        string children = File.ReadAllText($"/proc/{_process.Id}/task/{_process.Id}/children").Trim();
        Assert.Equal(0, Kill(int.Parse(children.Split(' ')[0]), 15));
    }

    public int WaitForExit()
    {
        Assert.True(_process.WaitForExit(TimeSpan.FromSeconds(60)), "crik did not exit\n" + Stderr);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }

    [LibraryImport("libc.so.6", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}

/// <summary>A test that runs crik as PID 1 with CRIU: needs root. In CI (CI=true) it always runs.</summary>
public sealed class CrikPodFactAttribute : FactAttribute
{
    public CrikPodFactAttribute()
    {
        bool inCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (!inCi && !Environment.IsPrivilegedProcess)
        {
            Skip = "needs root for PID namespaces and CRIU (run the tests as root, as CI does)";
        }
    }
}
