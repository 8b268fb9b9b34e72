namespace Crik.NodeStateServer.Sync;

internal sealed record WatcherSettings
{
    /// <summary>Nodes per list page; 5,000 nodes take ten requests instead of one huge response.</summary>
    public int PageSize { get; init; } = 500;
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Asked of the API server so watches end and restart regularly; the watcher adds up to as much again as jitter.</summary>
    public TimeSpan WatchServerTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Longer than the longest watch the API server is asked for (timeout plus jitter), so on a quiet cluster the
    /// server's own close comes first; this only catches a stream that stays open but silent. Dead peers are
    /// found sooner by TCP keep-alive (see KubeHttpClientFactory).
    /// </summary>
    public TimeSpan WatchIdleTimeout => WatchServerTimeout * 2 + TimeSpan.FromMinutes(1);
}
