using System.Diagnostics;
using System.Text.Json;
using Crik.NodeStateServer.Kubernetes;
using Crik.NodeStateServer.Logging;
using Crik.NodeStateServer.Observability;
using Crik.NodeStateServer.State;
using Crik.Shared.Kubernetes;

namespace Crik.NodeStateServer.Sync;

/// <summary>
/// Keeps the <see cref="NodeStore"/> in step with the API: list all nodes, then watch from the list's
/// resourceVersion. 410 Gone, a silent watch and unusable data mean only a new list helps; any other failure
/// (and a watch that ends at once with nothing said) resumes the watch from the last version seen, after a backoff.
/// </summary>
internal sealed class NodeWatcher(
    NodeApi api, NodeStore store, SyncHealth health, ServerMetrics metrics, WatcherSettings settings,
    IHostApplicationLifetime lifetime, ILogger<NodeWatcher> logger)
    : BackgroundService
{
    private readonly NodeLister _lister = new(api, store, metrics, settings, logger);
    private string? _resourceVersion;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await SyncForeverAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // Only a bug gets here: every API, network or data failure is retried inside the loop.
            Log.WatcherCrashed(logger, e);
            Environment.ExitCode = ExitCodes.Failure;
            lifetime.StopApplication();
        }
    }

    private async Task SyncForeverAsync(CancellationToken stoppingToken)
    {
        var backoff = new Backoff(settings.InitialBackoff, settings.MaxBackoff);
        var lists = 0;
        var watches = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (_resourceVersion is null)
                {
                    if (lists++ > 0)
                        metrics.ListRestarted();
                    await ListAllAsync(stoppingToken).ConfigureAwait(false);
                }
                if (watches++ > 0)
                    metrics.WatchRestarted();
                await WatchOnceAsync(backoff, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (KubeApiException e) when (e.IsGone)
            {
                await DelayAsync(Expired(e, backoff), stoppingToken).ConfigureAwait(false);
            }
            catch (WatchAbandonedException e)
            {
                await DelayAsync(Abandoned(e, backoff), stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsRetryable(e))
            {
                await DelayAsync(Lost(e, backoff), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ListAllAsync(CancellationToken stoppingToken)
    {
        var list = await _lister.ListAsync(stoppingToken).ConfigureAwait(false);
        store.ReplaceAllEvaluated(list.Nodes, list.Unreadable);
        _resourceVersion = list.ResourceVersion;
        health.ListCompleted();
        // Not a reset of the backoff: a watch that fails each time straight after the list would have the nodes listed
        // again every 200 ms. Only a watch that works (it hears something, or runs its term) shows the trouble is over.
    }

    /// <summary>
    /// Watches until the API server ends the watch; one that ends at once with no events is backed off from, one that ran its
    /// term (or brought an event) ends the backoff.
    /// </summary>
    private async Task WatchOnceAsync(Backoff backoff, CancellationToken stoppingToken)
    {
        var clock = Stopwatch.StartNew();
        var events = await WatchAsync(backoff, stoppingToken).ConfigureAwait(false);
        if (events == 0 && clock.Elapsed < settings.ShortWatch)
        {
            var delay = backoff.Next();
            health.Disconnected("the watch closed at once with no events");
            Log.ShortWatch(logger, clock.ElapsedMilliseconds, _resourceVersion ?? "", (long)delay.TotalMilliseconds);
            await DelayAsync(delay, stoppingToken).ConfigureAwait(false);
        }
        else
        {
            backoff.Reset();
            Log.WatchEnded(logger, _resourceVersion ?? "");
        }
    }

    /// <summary>The list's resourceVersion is too old to watch from (410 Gone): only a new list helps. Returns the time to wait.</summary>
    private TimeSpan Expired(KubeApiException gone, Backoff backoff)
    {
        Log.WatchExpired(logger, gone.Message);
        // Until the new list lands, changes since the watch's last event are unknown: not in sync.
        health.Disconnected($"the watch expired ({gone.Message}); the nodes are being listed again");
        _resourceVersion = null;
        return backoff.Next();
    }

    /// <summary>The watch fell silent or sent what cannot be used: only a new list helps. Returns the time to wait.</summary>
    private TimeSpan Abandoned(WatchAbandonedException abandoned, Backoff backoff)
    {
        if (abandoned.BadData)
            metrics.BadItem(ServerMetrics.WatchSource);
        var delay = backoff.Next();
        health.Disconnected(abandoned.Message);
        Log.WatchAbandoned(logger, abandoned.Message, (long)delay.TotalMilliseconds);
        _resourceVersion = null;
        return delay;
    }

    /// <summary>The list or watch failed on the way (network, API, timeout): it is tried again from where it was. Returns the time to wait.</summary>
    private TimeSpan Lost(Exception e, Backoff backoff)
    {
        var delay = backoff.Next();
        health.Disconnected(e.Message);
        if (e is KubeApiException { IsAuthProblem: true } denied)
            Log.AccessRefused(logger, (int)denied.Status, denied.Url, (long)delay.TotalMilliseconds);
        else if (_resourceVersion is null)
            Log.ListFailed(logger, Describe(e), (long)delay.TotalMilliseconds);
        else
            Log.WatchLost(logger, Describe(e), _resourceVersion, (long)delay.TotalMilliseconds);
        return delay;
    }

    /// <summary>
    /// Applies one watch's events to the store; returns how many node events it carried. Bookmarks
    /// keep the watch alive but do not count: a watch that closes at once after only a bookmark is
    /// still a short watch that must back off (as client-go's reflector counts it).
    /// </summary>
    private async Task<int> WatchAsync(Backoff backoff, CancellationToken cancellationToken)
    {
        Log.WatchStarting(logger, _resourceVersion!);
        var serverTimeout = settings.WatchServerTimeout * (1 + Random.Shared.NextDouble());
        var events = 0;
        await foreach (var watchEvent in api.WatchAsync(_resourceVersion!, serverTimeout, settings.SilenceLimit, cancellationToken).ConfigureAwait(false))
        {
            if (watchEvent.Type == "ERROR")
                throw NodeApi.ErrorEvent(watchEvent, api.NodesUrl);
            Apply(watchEvent);
            health.Heard();
            // A bookmark too shows the watch works (on a quiet cluster it is all a watch hears), so it ends the backoff.
            backoff.Reset();
            if (watchEvent.Type != "BOOKMARK")
                events++;
        }
        return events;
    }

    private void Apply(KubeWatchEvent watchEvent)
    {
        KubeNode node;
        try
        {
            node = watchEvent.Object.Deserialize(KubeJsonContext.Default.KubeNode)!;
        }
        catch (JsonException e)
        {
            throw new WatchAbandonedException($"watch {watchEvent.Type} event whose object is not a node: {e.Message}", inner: e);
        }
        var name = node.Metadata?.Name ?? "";
        switch (watchEvent.Type)
        {
            case "ADDED" or "MODIFIED" or "DELETED" when name.Length == 0:
                throw new WatchAbandonedException($"watch {watchEvent.Type} event for a node without metadata.name");
            case "ADDED" or "MODIFIED":
                store.Upsert(node);
                break;
            case "DELETED":
                store.Remove(name);
                break;
        }
        if (node.Metadata?.ResourceVersion is { Length: > 0 } version)
            _resourceVersion = version;
        Log.WatchEvent(logger, watchEvent.Type ?? "?", name, _resourceVersion ?? "");
    }

    private static bool IsRetryable(Exception e) =>
        e is HttpRequestException or IOException or InvalidDataException or JsonException or TimeoutException or KubeApiException
            or OperationCanceledException;

    private static string Describe(Exception e) =>
        e.InnerException is { } inner && e is HttpRequestException ? $"{e.Message} {inner.Message}" : e.Message;

    private static async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
