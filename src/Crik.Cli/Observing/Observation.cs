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
            var metrics = new CrikMetrics();
            if (MetricsEndpoint.TryStart(address, metrics.Render, log) is { } endpoint)
            {
                observation.Add(metrics, endpoint);
            }
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

    private void Add(IHappeningListener listener, IDisposable owned)
    {
        Happenings.Listen(listener);
        _listeners.Add(listener);
        _owned.Add(owned);
    }

    /// <summary>The pod's Event writer, or null (and why, logged once) when there is no API to write to.</summary>
    private static PodEventWriter? PodEventsFor(ILogger log, Func<string, string?> env)
    {
        if (string.IsNullOrEmpty(env("KUBECONFIG")) && !InClusterConfig.IsAvailable(env))
        {
            log.Debug("Not in a Kubernetes cluster and KUBECONFIG is not set: crik writes no pod Events");
            return null;
        }
        ClusterConnection connection;
        try
        {
            connection = ClusterConnectionResolver.Resolve(null, env);
        }
        catch (KubeConfigException e)
        {
            log.Warning("Kubernetes sees no Events from crik: {Error}. Mount the pod's service account token (automountServiceAccountToken: true) "
                + "or fix KUBECONFIG; the checkpoints are unaffected", e.Message);
            return null;
        }
        return new PodEventWriter(new KubeApiClient(KubeHttpClientFactory.Create(connection), connection), PodIdentity.Find(env), log);
    }
}
