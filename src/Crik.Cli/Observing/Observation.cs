using Crik.Cli.Configuration;
using Crik.Shared.Kubernetes;
using Serilog;

namespace Crik.Cli.Observing;

/// <summary>
/// What listens to crik's moments for this run: the Prometheus endpoint when metricsAddress is set, and the pod's
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
            // Counted from the start, served once the app runs: a restored app that listens on this port gets it back first.
            var metrics = new CrikMetrics(config.CheckpointInterval);
            var serving = new ServeOnceTheAppRuns(address, metrics, log);
            observation.Add(metrics);
            observation.Add(serving, serving);
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

    /// <summary>Starts /metrics at the first moment the app runs (restored or fresh); disposing stops it.</summary>
    private sealed class ServeOnceTheAppRuns(System.Net.IPEndPoint address, CrikMetrics metrics, ILogger log) : IHappeningListener, IDisposable
    {
        private MetricsEndpoint? _endpoint;
        private int _started;

        public void On(Happening happening)
        {
            if (happening is Happening.Restored or Happening.StartedFresh && Interlocked.Exchange(ref _started, 1) == 0)
            {
                Volatile.Write(ref _endpoint, MetricsEndpoint.TryStart(address, metrics.Render, log));
            }
        }

        public void Dispose() => Volatile.Read(ref _endpoint)?.Dispose();
    }
}
