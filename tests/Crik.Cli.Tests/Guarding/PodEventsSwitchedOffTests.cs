using Crik.Cli.Observing;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Guarding;

/// <summary>A pod Event writer that fails in a way nobody expected is switched off; checkpoints go on.</summary>
public sealed class PodEventsSwitchedOffTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new();
    private StandInKubeApi _api = null!;

    public async Task InitializeAsync() => _api = await StandInKubeApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    [CriuFact]
    public void AFailedSendSwitchesEventsOffAndSigtermStillCheckpoints()
    {
        using var pods = new Pods();
        var environment = new Dictionary<string, string>
        {
            ["KUBECONFIG"] = _api.WriteKubeconfig(_dir.Path),
            [PodIdentity.NameVariable] = "web-0",
            [PodIdentity.NamespaceVariable] = "shop",
        };
        using CrikRun pod = pods.StartWith(Faults.At("crik pod events", environment), "sh", "-c", Faults.Counter);
        pod.WaitForLine("count 3");

        // The first moment, the app's fresh start, is the send the fault hits.
        string warning = Faults.SwitchedOffOnce(pod, "pod Events are");
        Assert.Contains("no more Events or annotations on the Pod shop/web-0", warning, StringComparison.Ordinal);
        Faults.AppGoesOn(pod);

        Pods.CheckpointAndStop(pod);
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.Empty(_api.Requests);
        Faults.NoCrash(pod);
    }
}
