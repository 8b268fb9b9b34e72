namespace Crik.NodeStateServer.Observability;

/// <summary>Counters behind /metrics; lock-free so the request path stays cheap.</summary>
internal sealed class ServerMetrics
{
    private const int MaxStatusCode = 600;
    private readonly long[] _requestsByStatus = new long[MaxStatusCode];
    private long _listRestarts;
    private long _watchRestarts;
    private long _badListItems;
    private long _badWatchEvents;

    public const string ListSource = "list";
    public const string WatchSource = "watch";

    public long ListRestarts => Interlocked.Read(ref _listRestarts);
    public long WatchRestarts => Interlocked.Read(ref _watchRestarts);

    public long BadListItems => Interlocked.Read(ref _badListItems);
    public long BadWatchEvents => Interlocked.Read(ref _badWatchEvents);

    /// <summary>An item the API sent that is not a readable Node (skipped in a list, ends a watch).</summary>
    public void BadItem(string source) =>
        Interlocked.Increment(ref source == ListSource ? ref _badListItems : ref _badWatchEvents);

    public void ListRestarted() => Interlocked.Increment(ref _listRestarts);
    public void WatchRestarted() => Interlocked.Increment(ref _watchRestarts);

    public void RequestCompleted(int statusCode)
    {
        if ((uint)statusCode < MaxStatusCode)
            Interlocked.Increment(ref _requestsByStatus[statusCode]);
    }

    public IEnumerable<(int Status, long Count)> RequestsByStatus()
    {
        for (var status = 0; status < MaxStatusCode; status++)
        {
            var count = Interlocked.Read(ref _requestsByStatus[status]);
            if (count > 0)
                yield return (status, count);
        }
    }
}
