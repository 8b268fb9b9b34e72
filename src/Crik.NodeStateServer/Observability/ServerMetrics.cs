using Crik.Shared.NodeState;

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

    /// <summary>/v1/nodes answers by the verdict they gave, in <see cref="Verdicts"/>' order.</summary>
    private readonly long[] _answersByVerdict = new long[Verdicts.Length];

    public static readonly string[] Verdicts =
        [NodeStateContract.ShuttingDown, NodeStateContract.AtRisk, NodeStateContract.Ready, NodeStateContract.Unknown];

    public void Answered(string verdict)
    {
        if (Array.IndexOf(Verdicts, verdict) is >= 0 and var i)
            Interlocked.Increment(ref _answersByVerdict[i]);
    }

    public long AnswersWith(string verdict) =>
        Array.IndexOf(Verdicts, verdict) is >= 0 and var i ? Interlocked.Read(ref _answersByVerdict[i]) : 0;

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
