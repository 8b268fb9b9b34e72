namespace Crik.NodeStateServer.Sync;

internal sealed record WatcherSettings
{
    public static readonly TimeSpan DefaultSilenceLimit = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Longer than a node takes to go away once marked (a spot notice gives two minutes, a scale-down drain is bounded by ten):
    /// a verdict this old may have been lifted since (an autoscaler's candidate dropped), and every SIGTERM on the node would
    /// then checkpoint.
    /// </summary>
    public static readonly TimeSpan DefaultGoingAwayKept = TimeSpan.FromMinutes(10);

    /// <summary>Nodes per list page; 5,000 nodes take ten requests instead of one huge response.</summary>
    public int PageSize { get; init; } = 500;
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Asked of the API server so watches end and restart regularly; the watcher adds up to as much again as jitter.</summary>
    public TimeSpan WatchServerTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The API server sends a bookmark about once a minute on a watch that asked for them, so a watch that says
    /// nothing at all for this long is stuck (a hung proxy, a half-open connection): it is dropped and nodes are
    /// listed again. Readiness uses the same bound.
    /// </summary>
    public TimeSpan SilenceLimit { get; init; } = DefaultSilenceLimit;

    /// <summary>How long after the server last heard from the API it still answers a node it has as going away so (a 503 after that).</summary>
    public TimeSpan GoingAwayKept { get; init; } = DefaultGoingAwayKept;

    /// <summary>A watch that ends sooner than this without a single line is a failure and backs off (as client-go's reflector does).</summary>
    public TimeSpan ShortWatch { get; init; } = TimeSpan.FromSeconds(1);
}
