namespace Crik.NodeStateServer.Logging;

/// <summary>Every log line the server writes, with stable event ids.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Listed {Count} nodes in {ElapsedMs} ms ({Pages} pages, resourceVersion {ResourceVersion})")]
    public static partial void ListDone(ILogger logger, int count, long elapsedMs, int pages, string resourceVersion);

    [LoggerMessage(2, LogLevel.Information, "Node {Node} became shutting-down because {Reasons}")]
    public static partial void NodeShuttingDown(ILogger logger, string node, string reasons);

    [LoggerMessage(30, LogLevel.Information, "Node {Node} became at-risk because {Reasons}")]
    public static partial void NodeAtRisk(ILogger logger, string node, string reasons);

    [LoggerMessage(3, LogLevel.Information, "Node {Node} is ready again: no shutdown rule matches")]
    public static partial void NodeReadyAgain(ILogger logger, string node);

    [LoggerMessage(4, LogLevel.Information, "Node {Node} was deleted")]
    public static partial void NodeRemoved(ILogger logger, string node);

    [LoggerMessage(29, LogLevel.Information, "Node {Node} was deleted; it is answered shutting-down (node-deleted) for {Minutes} minutes, while its pods end")]
    public static partial void NodeDeleted(ILogger logger, string node, double minutes);

    [LoggerMessage(32, LogLevel.Warning, "Node {Node} is in the new list but its item could not be read; it keeps its last verdict until an event for it can be read")]
    public static partial void NodeKeptUnread(ILogger logger, string node);

    [LoggerMessage(5, LogLevel.Warning, "Watch expired (410 Gone: {Detail}); listing all nodes again")]
    public static partial void WatchExpired(ILogger logger, string detail);

    [LoggerMessage(6, LogLevel.Warning, "Watch connection lost ({Reason}); resuming from resourceVersion {ResourceVersion} in {DelayMs} ms")]
    public static partial void WatchLost(ILogger logger, string reason, string resourceVersion, long delayMs);

    [LoggerMessage(7, LogLevel.Warning, "Listing nodes failed ({Reason}); retrying in {DelayMs} ms")]
    public static partial void ListFailed(ILogger logger, string reason, long delayMs);

    [LoggerMessage(8, LogLevel.Error, "Kubernetes API refused access: {Status} for GET {Url}. Check that the token is valid and that RBAC grants get/list/watch on nodes to this service account (ClusterRole + ClusterRoleBinding); retrying in {DelayMs} ms")]
    public static partial void AccessRefused(ILogger logger, int status, string url, long delayMs);

    [LoggerMessage(9, LogLevel.Debug, "Watch from resourceVersion {ResourceVersion} ended by the API server; watching again")]
    public static partial void WatchEnded(ILogger logger, string resourceVersion);

    [LoggerMessage(10, LogLevel.Information, "Serving node states on {Endpoint}; watching nodes at {ApiUrl} as {Credentials} from {Source}; rules from {Rules}; at most {MaxConnections} connections, {HeldLimit} of them holding an answer; a watch silent for {SilenceSeconds} s is replaced by a new list")]
    public static partial void Starting(ILogger logger, string endpoint, string apiUrl, string credentials, string source, string rules, int maxConnections, int heldLimit, double silenceSeconds);

    [LoggerMessage(31, LogLevel.Warning, "--max-connections {MaxConnections} leaves no room to hold an answer: every question is answered at once, so a crik asking at its SIGTERM on a node that is fine does not hear of a shutdown that comes just after. Give --max-connections 2 or more (half of them may hold an answer)")]
    public static partial void NoHeldAnswers(ILogger logger, int maxConnections);

    [LoggerMessage(14, LogLevel.Warning, "Watch abandoned: {Reason}; listing all nodes again in {DelayMs} ms")]
    public static partial void WatchAbandoned(ILogger logger, string reason, long delayMs);

    [LoggerMessage(15, LogLevel.Warning, "Skipped an item of the node list that is not a readable node: {Problem}")]
    public static partial void BadListItem(ILogger logger, string problem);

    [LoggerMessage(16, LogLevel.Warning, "Watch closed after {ElapsedMs} ms with no events; resuming from resourceVersion {ResourceVersion} in {DelayMs} ms")]
    public static partial void ShortWatch(ILogger logger, long elapsedMs, string resourceVersion, long delayMs);

    [LoggerMessage(12, LogLevel.Debug, "Watching nodes from resourceVersion {ResourceVersion}")]
    public static partial void WatchStarting(ILogger logger, string resourceVersion);

    [LoggerMessage(13, LogLevel.Critical, "Node watcher failed unexpectedly; stopping the server")]
    public static partial void WatcherCrashed(ILogger logger, Exception exception);

    [LoggerMessage(11, LogLevel.Debug, "Watch event {Type} for node {Node} (resourceVersion {ResourceVersion})")]
    public static partial void WatchEvent(ILogger logger, string type, string node, string resourceVersion);
}
