using Crik.Cli.Configuration;
using Crik.Shared.Kubernetes;
using Serilog;

namespace Crik.Cli.Observing;

/// <summary>
/// What listens to crik's moments for this run: the metrics, served when metricsAddress is set, and the pod's
/// Events whenever a Kubernetes API is configured (in a cluster, or KUBECONFIG). Disposed at exit, after the app.
/// </summary>
internal sealed class Observation : IDisposable
{
    private readonly List<IHappeningListener> _listeners = [];
    private readonly List<IDisposable> _owned = [];

    public static Observation Start(CrikConfig config, ILogger log, Func<string, string?> env)
    {
        var observation = new Observation();
        if (config.MetricsAddress is { } address)
        {
            // Served from crik's start, so that Prometheus sees a pod that waits for its lock, its store or its restore,
            // and one that starts nothing; CRIU's restore gets the port to itself (MetricsServing.StepAside).
            var metrics = new CrikMetrics(config.CheckpointInterval, asksNodeState: config.NodeStateServerUrl is not null);
            observation.Add(metrics);
            observation._owned.Add(MetricsServing.Start(address, metrics, log));
        }
        if (PodEventsFor(log, env) is { } events)
        {
            observation.Add(events, events);
        }
        return observation;
    }

    public void Dispose()
    {
        foreach (IHappeningListener listener in _listeners)
        {
            Happenings.StopListening(listener);
        }
        foreach (IDisposable owned in _owned)
        {
            owned.Dispose();
        }
    }

    private void Add(IHappeningListener listener, IDisposable? owned = null)
    {
        Happenings.Listen(listener);
        _listeners.Add(listener);
        if (owned is not null)
        {
            _owned.Add(owned);
        }
    }

    /// <summary>
    /// The pod's Event writer, or null (and why, logged once) when there is no API to write to. In a cluster, the
    /// pod's own service account: a KUBECONFIG there is the app's, perhaps for another cluster. Outside one, KUBECONFIG.
    /// </summary>
    private static PodEventWriter? PodEventsFor(ILogger log, Func<string, string?> env)
    {
        bool inCluster = InClusterConfig.IsAvailable(env);
        if (!inCluster && string.IsNullOrEmpty(env("KUBECONFIG")))
        {
            log.Debug("Not in a Kubernetes cluster and KUBECONFIG is not set: crik writes no pod Events");
            return null;
        }
        try
        {
            ClusterConnection connection = inCluster ? InClusterConfig.Load(env) : KubeConfigFile.Load(env("KUBECONFIG")!);
            return new PodEventWriter(new KubeApiClient(KubeHttpClientFactory.Create(connection), connection), PodIdentity.Find(env), log);
        }
        catch (Exception e)
        {
            // Whatever is wrong with the way to the API (a bad kubeconfig, an unreadable token) never stops the app.
            log.Warning("Kubernetes sees no Events from crik: {Error}. {Fix}; the checkpoints are unaffected", e.Message,
                inCluster ? "Mount the pod's service account token (automountServiceAccountToken: true)" : "Fix the kubeconfig that KUBECONFIG names");
            return null;
        }
    }
}
