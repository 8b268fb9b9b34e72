namespace Crik.NodeStateServer.Sync;

/// <summary>What /readyz reports: ready once a full list has landed and while the API connection works.</summary>
internal sealed class SyncHealth
{
    private volatile bool _listed;
    private volatile bool _connected;
    private volatile string _problem = "the first list of nodes has not completed yet";

    public bool IsReady => _listed && _connected;

    public string Problem => IsReady ? "" : _problem;

    public void ListCompleted()
    {
        _listed = true;
        _connected = true;
    }

    public void Connected() => _connected = true;

    public void Disconnected(string problem)
    {
        _problem = _listed ? $"not connected to the Kubernetes API: {problem}" : $"the first list of nodes has not completed yet: {problem}";
        _connected = false;
    }
}
