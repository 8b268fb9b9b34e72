using System.Net;
using System.Net.Sockets;
using Crik.Cli.Configuration;
using Crik.Cli.Observing;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Observing;

/// <summary>What crik sets up to be seen, and that nothing wrong with it stops the app.</summary>
[Trait("Category", "Unit")]
public sealed class ObservationTests
{
    [Theory]
    [InlineData("{ not: [yaml")]
    [InlineData("just a string")]
    [InlineData("apiVersion: v1\nkind: Config\ncurrent-context: nowhere\n")]
    public void AKubeconfigThatCannotBeReadIsOneWarningAndCrikRunsOn(string kubeconfig)
    {
        using var dir = new TempDirectory();
        string path = dir.Write("kubeconfig", kubeconfig);
        var log = new LogLines();
        using (Observation.Start(CrikConfig.Default, log.Logger, name => name == "KUBECONFIG" ? path : null))
        {
        }
        string said = Assert.Single(log.Lines);
        Assert.StartsWith("Warning: Kubernetes sees no Events from crik: ", said, StringComparison.Ordinal);
        Assert.Contains("Fix the kubeconfig that KUBECONFIG names", said, StringComparison.Ordinal);
    }

    [Fact]
    public void InAClusterThePodsServiceAccountIsUsedNotTheAppsKubeconfig()
    {
        // The service account's files are not there in this test: the warning says so, and names the in-cluster fix.
        var log = new LogLines();
        var env = new Dictionary<string, string> { ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1", ["KUBERNETES_SERVICE_PORT"] = "443", ["KUBECONFIG"] = "/nonexistent" };
        using (Observation.Start(CrikConfig.Default, log.Logger, env.GetValueOrDefault))
        {
        }
        string said = Assert.Single(log.Lines);
        Assert.Contains("service account", said, StringComparison.Ordinal);
        Assert.Contains("automountServiceAccountToken", said, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetricsAreServedFromCriksStartUntilItStopsAndATakenPortIsOneWarning()
    {
        int port = FreePort.Get();
        var log = new LogLines();
        var config = CrikConfig.Default with { MetricsAddress = new IPEndPoint(IPAddress.Loopback, port) };
        using var http = new HttpClient();
        using (Observation.Start(config, log.Logger, _ => null))
        {
            // Before the app runs: Prometheus sees crik, and that the app does not run yet.
            Assert.Contains("crik_app_running 0", await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics")), StringComparison.Ordinal);
            Happenings.Publish(new Happening.StartedFresh("no checkpoint", TimeSpan.Zero));
            string metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
            Assert.Contains("crik_app_start_seconds{how=\"fresh\"} 0", metrics, StringComparison.Ordinal);
            Assert.Contains("crik_app_running 1", metrics, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri($"http://127.0.0.1:{port}/other"))).StatusCode);
        }
        Assert.True(Free(port), "crik still listens after it stopped");

        using var taken = new TcpListener(IPAddress.Loopback, port);
        taken.Start();
        using (Observation.Start(config, log.Logger, _ => null))
        {
            Happenings.Publish(new Happening.Restored(1, false, TimeSpan.Zero, TimeSpan.Zero, 9));
        }
        Assert.Contains(log.Lines, l => l.StartsWith("Warning: Cannot serve metrics at ", StringComparison.Ordinal) && l.Contains($"127.0.0.1:{port}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CriuRestoresWithThePortFreeAndCrikListensAgainUnlessTheRestoredAppHoldsIt()
    {
        int port = FreePort.Get();
        var log = new LogLines();
        var config = CrikConfig.Default with { MetricsAddress = new IPEndPoint(IPAddress.Loopback, port) };
        using var http = new HttpClient();
        using (Observation.Start(config, log.Logger, _ => null))
        {
            using (MetricsServing.StepAside())
            {
                Assert.True(Free(port), "crik kept the port while CRIU restores");
            }
            Assert.Contains("crik_app_running", await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics")), StringComparison.Ordinal);

            TcpListener? restoredApp = null;
            using (MetricsServing.StepAside())
            {
                restoredApp = new TcpListener(IPAddress.Loopback, port);
                restoredApp.Start();
            }
            using (restoredApp)
            {
                string said = Assert.Single(log.Lines, l => l.StartsWith("Warning:", StringComparison.Ordinal));
                Assert.Contains($"127.0.0.1:{port}", said, StringComparison.Ordinal);
                Assert.Contains("the restored app listens there", said, StringComparison.Ordinal);
                // Stepping aside again does nothing: crik no longer listens.
                using (MetricsServing.StepAside())
                {
                }
                Assert.Single(log.Lines, l => l.StartsWith("Warning:", StringComparison.Ordinal));
            }
        }
    }

    private static bool Free(int port)
    {
        try
        {
            using var probe = new TcpListener(IPAddress.Loopback, port);
            probe.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
