using System.Net;
using Serilog;

namespace Crik.Cli.Observing;

/// <summary>
/// /metrics for crik's whole run, from its start to its exit, except while CRIU restores the app: the pod's network
/// namespace is the app's too, and a restored app that listened on crik's port (a checkpoint taken while crik did
/// not hold it: another metricsAddress, an older crik) would make CRIU fail on that socket. Once CRIU is done crik
/// listens again; when the restored app now holds the port, crik says so once and runs on without metrics.
/// </summary>
internal sealed class MetricsServing : IDisposable
{
    /// <summary>This run's, for <see cref="StepAside"/>: crik serves one /metrics.</summary>
    private static MetricsServing? Current;

    private readonly IPEndPoint _address;
    private readonly CrikMetrics _metrics;
    private readonly ILogger _log;
    private readonly Lock _lock = new();
    private MetricsEndpoint? _endpoint;
    private bool _disposed;

    private MetricsServing(IPEndPoint address, CrikMetrics metrics, ILogger log)
    {
        _address = address;
        _metrics = metrics;
        _log = log;
    }

    /// <summary>Listens on <paramref name="address"/> at once; a port that cannot be bound is one warning, and crik runs on without metrics.</summary>
    public static MetricsServing Start(IPEndPoint address, CrikMetrics metrics, ILogger log)
    {
        var serving = new MetricsServing(address, metrics, log);
        try
        {
            serving._endpoint = MetricsEndpoint.TryStart(address, metrics, log);
        }
        catch (Exception e)
        {
            // Whatever else goes wrong with the listener never stops crik: it runs on without metrics.
            log.Warning("Cannot serve metrics at {Address} ({Error}); crik runs on without them", address.ToString(), e.Message);
        }
        Volatile.Write(ref Current, serving);
        return serving;
    }

    /// <summary>
    /// Stops listening until the result is disposed, for CRIU's restore of the app: a scrape meanwhile is refused (for
    /// as long as CRIU runs). Nothing to do when crik serves no metrics.
    /// </summary>
    public static IDisposable StepAside() => Volatile.Read(ref Current) is { } serving && serving.Pause() ? new Resumption(serving) : NoResumption.Instance;

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _endpoint?.Dispose();
            _endpoint = null;
        }
        Interlocked.CompareExchange(ref Current, null, this);
    }

    /// <summary>True when it was listening, and no longer is.</summary>
    private bool Pause()
    {
        lock (_lock)
        {
            if (_endpoint is not { Serving: true } endpoint)
            {
                return false;
            }
            _endpoint = null;
            try
            {
                endpoint.Dispose();
                return true;
            }
            catch (Exception e)
            {
                // Nothing about metrics may fail a restore: they are off for this run instead.
                SwitchOff(e);
                return false;
            }
        }
    }

    private void Resume()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            try
            {
                _endpoint = MetricsEndpoint.TryStart(_address, _metrics, _log,
                    taken: "the restored app listens there; crik runs on without metrics: give metricsAddress a port the app does not use");
            }
            catch (Exception e)
            {
                SwitchOff(e);
            }
        }
    }

    private void SwitchOff(Exception e)
    {
        _disposed = true;
        _log.Warning("crik's metrics are switched off: /metrics at {Address} no longer answers until crik starts again; the app goes on, "
            + "and so do its checkpoints. Why: stepping aside for CRIU's restore failed unexpectedly: {Error}", _address.ToString(), e.ToString());
    }

    private sealed class Resumption(MetricsServing serving) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                serving.Resume();
            }
        }
    }

    private sealed class NoResumption : IDisposable
    {
        public static readonly NoResumption Instance = new();

        public void Dispose()
        {
        }
    }
}
