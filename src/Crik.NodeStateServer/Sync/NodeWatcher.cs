using System.Diagnostics;
using System.Text.Json;
using Crik.NodeStateServer.Kubernetes;
using Crik.NodeStateServer.Logging;
using Crik.NodeStateServer.Observability;
using Crik.NodeStateServer.State;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Crik.NodeStateServer.Sync;

/// <summary>
/// Keeps the <see cref="NodeStore"/> in step with the API: list all nodes, then watch from the list's
/// resourceVersion. 410 Gone means the version is too old and only a new list helps; any other failure
/// resumes the watch from the last version seen, after a backoff.
/// </summary>
internal sealed class NodeWatcher(
    NodeApi api, NodeStore store, SyncHealth health, ServerMetrics metrics, WatcherSettings settings,
    IHostApplicationLifetime lifetime, ILogger<NodeWatcher> logger)
    : BackgroundService
{
    private string? _resourceVersion;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await SyncForeverAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // Only a bug gets here: every API or network failure is retried inside the loop.
            Log.WatcherCrashed(logger, e);
            Environment.ExitCode = 1;
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
            var listing = _resourceVersion is null;
            try
            {
                if (listing)
                {
                    if (lists++ > 0)
                        metrics.ListRestarted();
                    await ListAsync(stoppingToken).ConfigureAwait(false);
                    backoff.Reset();
                }
                if (watches++ > 0)
                    metrics.WatchRestarted();
                await WatchAsync(backoff, stoppingToken).ConfigureAwait(false);
                Log.WatchEnded(logger, _resourceVersion ?? "");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (KubeApiException e) when (e.IsGone)
            {
                Log.WatchExpired(logger, e.Message);
                _resourceVersion = null;
                await DelayAsync(backoff.Next(), stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsRetryable(e))
            {
                var delay = backoff.Next();
                health.Disconnected(e.Message);
                if (e is KubeApiException { IsAuthProblem: true } denied)
                    Log.AccessRefused(logger, (int)denied.Status, denied.Url, (long)delay.TotalMilliseconds);
                else if (_resourceVersion is null)
                    Log.ListFailed(logger, Describe(e), (long)delay.TotalMilliseconds);
                else
                    Log.WatchLost(logger, Describe(e), _resourceVersion, (long)delay.TotalMilliseconds);
                await DelayAsync(delay, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ListAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var nodes = new List<KubeNode>();
        string? resourceVersion = null;
        string? continueToken = null;
        var pages = 0;
        do
        {
            var page = await api.ListPageAsync(settings.PageSize, continueToken, cancellationToken).ConfigureAwait(false);
            pages++;
            nodes.AddRange(page.Items ?? []);
            // Every page of one list carries the same resourceVersion: the point the whole list describes.
            resourceVersion ??= page.Metadata?.ResourceVersion;
            continueToken = page.Metadata?.Continue;
        }
        while (!string.IsNullOrEmpty(continueToken));

        if (string.IsNullOrEmpty(resourceVersion))
            throw new JsonException("the node list carried no resourceVersion");
        store.ReplaceAll(nodes);
        _resourceVersion = resourceVersion;
        health.ListCompleted();
        Log.ListDone(logger, nodes.Count, clock.ElapsedMilliseconds, pages, resourceVersion);
    }

    private async Task WatchAsync(Backoff backoff, CancellationToken cancellationToken)
    {
        Log.WatchStarting(logger, _resourceVersion!);
        var serverTimeout = settings.WatchServerTimeout * (1 + Random.Shared.NextDouble());
        var events = api.WatchAsync(_resourceVersion!, serverTimeout, settings.WatchIdleTimeout, health.Connected, cancellationToken);
        await foreach (var watchEvent in events.ConfigureAwait(false))
        {
            if (watchEvent.Type == "ERROR")
                throw NodeApi.ErrorEvent(watchEvent, api.NodesUrl);

            var node = watchEvent.Object.Deserialize(KubeJsonContext.Default.KubeNode)
                ?? throw new JsonException($"watch {watchEvent.Type} event without an object");
            var name = node.Metadata?.Name ?? "";
            switch (watchEvent.Type)
            {
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
            backoff.Reset();
        }
    }

    private static bool IsRetryable(Exception e) =>
        e is HttpRequestException or IOException or JsonException or TimeoutException or KubeApiException or OperationCanceledException;

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
