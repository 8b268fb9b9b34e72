using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Guarding;

/// <summary>/metrics that fails in a way nobody expected is switched off; the app, and crik's exit with its code, are untouched.</summary>
public sealed class MetricsSwitchedOffTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
    }

    [NamespaceFact]
    public async Task AFailedAnswerSwitchesMetricsOffAndTheAppsExitCodeStillPassesThrough()
    {
        int port = FreePort.Get();
        string config = _dir.Write("config.yaml", $"metricsAddress: 127.0.0.1:{port}\n");
        using CrikRun run = CrikRun.Start(["run", "--config", config, "--", "sh", "-c", Faults.Counter], environment: Faults.At("crik metrics"));
        run.WaitForLine("Serving Prometheus metrics", stderr: true);
        run.WaitForLine("count 3");
        var metrics = new Uri($"http://127.0.0.1:{port}/metrics");

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => _http.GetStringAsync(metrics)); // the scrape the fault hit
        string warning = Faults.SwitchedOffOnce(run, "metrics are");
        Assert.Contains($"/metrics at 127.0.0.1:{port} no longer answers", warning, StringComparison.Ordinal);
        Assert.Contains("the app goes on", warning, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => _http.GetStringAsync(metrics)); // nobody listens now
        Faults.AppGoesOn(run);

        run.Signal(Native.SIGTERM);
        run.WaitForLine("app-got-term");
        Assert.Equal(Faults.CounterExitOnSigterm, run.WaitForExit());
        Faults.NoCrash(run);
    }
}
