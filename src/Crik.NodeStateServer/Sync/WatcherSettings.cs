namespace Crik.NodeStateServer.Sync;

internal sealed record WatcherSettings
{
    /// <summary>Nodes per list page; 5,000 nodes take ten requests instead of one huge response.</summary>
    public int PageSize { get; init; } = 500;
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Asked of the API server so watches end and restart regularly; the watcher adds up to as much again as jitter.</summary>
    public TimeSpan WatchServerTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>With bookmarks on, the API sends something about every minute; silence this long means a dead connection.</summary>
    public TimeSpan WatchIdleTimeout { get; init; } = TimeSpan.FromMinutes(3);
}
