using Microsoft.AspNetCore.Connections;

namespace Crik.NodeStateServer.Http;

/// <summary>One connection as <see cref="ConnectionCap"/> counts it; only the cap, under its lock, changes it.</summary>
internal sealed class CappedConnection
{
    private readonly ConnectionContext _connection;

    public CappedConnection(ConnectionContext connection)
    {
        _connection = connection;
        IdleNode = new(this);
    }

    internal enum Phase
    {
        New,
        Idle,
        InRequest,
        Gone,
    }

    public Phase State { get; set; }

    /// <summary>Its place in the cap's list of idle connections, reused each time it goes idle.</summary>
    public LinkedListNode<CappedConnection> IdleNode { get; }

    public void Close() =>
        _connection.Abort(new ConnectionAbortedException("closed to make room for a new connection at --max-connections"));
}
