using System.Diagnostics;
using System.Net;
using System.Text;
using Crik.TestSupport;

namespace Crik.NodeStateServer.Tests.Support;

/// <summary>The real node-state-server binary, started on a free loopback port, with its output captured.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }
    public HttpClient Http { get; }
    public Uri Url => Http.BaseAddress!;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public bool HasExited => _process.HasExited;

    public void Signal(int signal) => Native.Signal(_process.Id, signal);

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>The most resident memory the server has used so far (VmHWM), which a container's memory limit bounds.</summary>
    public long PeakResidentBytes()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        var kib = line["VmHWM:".Length..].Trim().Split(' ')[0];
        return long.Parse(kib, System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    public static ServerProcess Start(params string[] args)
    {
        var port = FreePort.Get();
        var info = new ProcessStartInfo(Paths.NodeStateServer)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--max-backoff-seconds", "1", .. args])
            info.ArgumentList.Add(arg);
        info.Environment.Remove("KUBECONFIG");
        info.Environment.Remove("KUBERNETES_SERVICE_HOST");
        var process = new Process { StartInfo = info };
        var server = new ServerProcess(process, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Runs the binary to completion (for flag and config errors) and returns its exit code and stderr.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo(Paths.NodeStateServer)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment.Remove("KUBECONFIG");
        info.Environment.Remove("KUBERNETES_SERVICE_HOST");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Status code of a request, or 0 when the server does not answer (yet).</summary>
    public async Task<int> StatusOfAsync(string path)
    {
        try
        {
            return (int)(await GetAsync(path)).Status;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    /// <summary>Log lines go through the logger's queue and a pipe, so they may trail the state they describe.</summary>
    public Task WaitForOutputAsync(string text) =>
        Poll.UntilAsync(() => Output.Contains(text, StringComparison.Ordinal), $"the server to log \"{text}\"", diagnostics: () => Output);

    public Task WaitUntilReadyAsync() =>
        Poll.UntilAsync(async () => await StatusOfAsync("/readyz") == 200, "/readyz to answer 200", diagnostics: () => Output);

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
