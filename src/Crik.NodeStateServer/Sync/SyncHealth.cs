namespace Crik.NodeStateServer.Sync;

/// <summary>
/// What /readyz reports: ready while the server is in sync with the API, that is once a full list has landed
/// and as long as the list or the watch said something (an event or a bookmark) within the silence limit.
/// Open watch headers alone do not count: a stuck stream sends headers too.
/// </summary>
internal sealed class SyncHealth(WatcherSettings settings, TimeProvider clock)
{
    private volatile bool _listed;
    private volatile bool _connected;
    private volatile string _problem = "the first list of nodes has not completed yet";
    private long _lastHeard;

    public bool IsReady => _listed && _connected && !IsSilent;

    /// <summary>A full list has landed once: the server knows which nodes there are, and a node it lacks is one it does not know.</summary>
    public bool HasListed => _listed;

    public string Problem
    {
        get
        {
            if (!_listed || !_connected)
                return _problem;
            return IsSilent ? $"no event or bookmark from the Kubernetes API for {settings.SilenceLimit.TotalSeconds:0.#} s" : "";
        }
    }

    /// <summary>
    /// Whether a node the server has as going away may be answered so: in sync, or out of sync for less than
    /// <see cref="WatcherSettings.GoingAwayKept"/> (a going-away verdict is acted on however the sync fares, but not forever).
    /// </summary>
    public bool KeepsGoingAway => IsReady || (_listed && clock.GetElapsedTime(Interlocked.Read(ref _lastHeard)) <= settings.GoingAwayKept);

    private bool IsSilent => clock.GetElapsedTime(Interlocked.Read(ref _lastHeard)) > settings.SilenceLimit;

    public void ListCompleted()
    {
        Heard();
        _listed = true;
    }

    /// <summary>The API sent a list or a watch line: the connection is alive and the state current.</summary>
    public void Heard()
    {
        Interlocked.Exchange(ref _lastHeard, clock.GetTimestamp());
        _connected = true;
    }

    public void Disconnected(string problem)
    {
        _problem = _listed ? $"not in sync with the Kubernetes API: {problem}" : $"the first list of nodes has not completed yet: {problem}";
        _connected = false;
    }
}
