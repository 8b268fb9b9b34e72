using System.Net.Sockets;
using System.Text;
using Crik.TestSupport;
using Xunit;

namespace Crik.Containers.Tests.Support;

/// <summary>One pod of a <see cref="StatefulSet"/>: a container with crik as PID 1.</summary>
internal sealed class Pod(string name, StatefulSet set) : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private bool _removed;
    private string? _finalLogs;

    public string Name => name;

    /// <summary>The container's own address on podman's bridge: new for each pod.</summary>
    public string Ip => Podman.MustRun("inspect", "--format", "{{.NetworkSettings.IPAddress}}", name);

    /// <summary>crik's and the app's output (podman keeps stdout and stderr); once removed, what it was at the end.</summary>
    public string Logs
    {
        get
        {
            if (_finalLogs is not null)
            {
                return _finalLogs;
            }
            (_, string output, string error) = Podman.Run("logs", name);
            return output + error;
        }
    }

    public string Diagnostics => $"pod {name} logs:\n{Logs}\n{set.CriuLogs()}";

    /// <summary>Waits until the pod's log has a line containing <paramref name="text"/>.</summary>
    public void WaitForLog(string text) =>
        Poll.Until(() => Logs.Contains(text, StringComparison.Ordinal) || !IsRunning(), $"\"{text}\" in the log of {name}", StartTimeout);

    /// <summary>Expects crik to have restored checkpoint <paramref name="generation"/> (not started the app fresh).</summary>
    public void ExpectRestored(int generation)
    {
        // "Started" is crik starting the app fresh: no need to wait any longer to know.
        Poll.Until(() => Logs is var logs && (logs.Contains("Restored checkpoint", StringComparison.Ordinal)
            || logs.Contains("crik: Started ", StringComparison.Ordinal) || !IsRunning()), $"a restore or a fresh start in {name}", StartTimeout);
        Assert.True(Logs.Contains($"Restored checkpoint {generation}", StringComparison.Ordinal), $"expected a restore\n{Diagnostics}");
    }

    /// <summary>The restore let the app run before its memory was all in, and that memory then all arrived.</summary>
    public void ExpectLazilyRestored()
    {
        Assert.True(Logs.Contains(", lazily (", StringComparison.Ordinal), $"expected a lazy restore\n{Diagnostics}");
        Poll.Until(() => Logs.Contains("the app's memory is all in", StringComparison.Ordinal) || !IsRunning(), $"the memory of {name} all in", StartTimeout);
        Assert.True(Logs.Contains("the app's memory is all in", StringComparison.Ordinal), $"expected the memory all in\n{Diagnostics}");
    }

    /// <summary>Waits until the TCP port answers a connection.</summary>
    public void WaitForPort(int port)
    {
        string ip = Ip;
        Poll.Until(() =>
        {
            Assert.True(IsRunning(), $"the pod stopped\n{Diagnostics}");
            try
            {
                using var client = new TcpClient();
                return client.ConnectAsync(ip, port).Wait(TimeSpan.FromSeconds(1)) && client.Connected;
            }
            catch (AggregateException)
            {
                return false;
            }
        }, $"{name} to listen on {ip}:{port}", StartTimeout);
    }

    /// <summary>
    /// Waits until the app answers GET /ready over HTTP (any status), as a readiness probe would: the
    /// first answer of a freshly started or restored server may take a while, and must not be a counted one.
    /// </summary>
    public async Task WaitForHttpAsync(int port)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            Assert.True(IsRunning(), $"the pod stopped\n{Diagnostics}");
            try
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                using HttpResponseMessage response = await http.GetAsync(new Uri($"http://{Ip}:{port}/ready"));
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{name} never answered HTTP on port {port}: {e.Message}\n{Diagnostics}");
                await Task.Delay(200);
            }
        }
    }

    /// <summary>GET over a new connection; returns the body, trimmed.</summary>
    public async Task<string> GetAsync(int port, string path = "/")
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{Ip}:{port}{path}");
        request.Headers.ConnectionClose = true;
        using HttpResponseMessage response = await http.SendAsync(request);
        return (await response.Content.ReadAsStringAsync()).Trim();
    }

    /// <summary>GET over a new connection and expect <paramref name="expected"/> (the pod's logs say why not).</summary>
    public async Task ExpectAsync(int port, string expected, string path = "/")
    {
        string actual;
        try
        {
            actual = await GetAsync(port, path);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            actual = $"no answer: {e.Message}";
        }
        Assert.True(actual == expected, $"GET {path}: expected \"{expected}\", got \"{actual}\"\n{Diagnostics}");
    }

    /// <summary>Runs a command in the pod; returns its stdout.</summary>
    public string Exec(params string[] command) => Podman.MustRun(["exec", name, .. command]);

    /// <summary>SIGTERM (podman stop): expects a committed checkpoint and exit code 0.</summary>
    public void CheckpointAndStop()
    {
        Podman.MustRun("stop", "-t", "60", name);
        string code = Podman.MustRun("inspect", "--format", "{{.State.ExitCode}}", name);
        string logs = Logs;
        Assert.True(code == "0" && logs.Contains("committed", StringComparison.Ordinal),
            $"expected a committed checkpoint and exit code 0, got {code}\n{Diagnostics}");
        Remove();
    }

    public bool IsRunning() => Podman.Run("inspect", "--format", "{{.State.Running}}", name).Output.Trim() == "true";

    public void Dispose() => Remove();

    private void Remove()
    {
        if (!_removed)
        {
            _finalLogs = Logs;
            Podman.Run("rm", "-f", "-t", "0", name);
            _removed = true;
        }
    }

    /// <summary>Sends one RESP command (e.g. to redis) over a new connection and returns the first reply line.</summary>
    public string Resp(int port, params string[] command)
    {
        using var client = new TcpClient(Ip, port);
        using NetworkStream stream = client.GetStream();
        var request = new StringBuilder($"*{command.Length}\r\n");
        foreach (string part in command)
        {
            request.Append(FormattableString.Invariant($"${Encoding.UTF8.GetByteCount(part)}\r\n{part}\r\n"));
        }
        stream.Write(Encoding.UTF8.GetBytes(request.ToString()));
        using var reader = new StreamReader(stream);
        return reader.ReadLine() ?? "";
    }
}
