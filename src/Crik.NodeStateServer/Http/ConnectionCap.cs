using Microsoft.AspNetCore.Connections;

namespace Crik.NodeStateServer.Http;

/// <summary>
/// Enforces --max-connections. At the cap, a new connection makes room by closing the one that has been idle (no
/// request in progress) the longest, so that connections which never send a request, and which any pod can open,
/// cannot lock requests out. Only when every connection is in a request is the new one closed instead.
/// </summary>
/// <remarks>Kestrel's own cap cannot do this: it refuses the new connection and keeps the idle ones.</remarks>
internal sealed class ConnectionCap(int capacity)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<CappedConnection> _idleLongestFirst = new();
    private int _open;

    /// <summary>Kestrel connection middleware: admits the connection, then serves it with <paramref name="next"/>.</summary>
    public async Task ServeAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var admitted = new CappedConnection(connection);
        if (!TryAdmit(admitted, out var makingRoom))
            return; // Kestrel closes a connection once its middleware returns.
        makingRoom?.Close();
        connection.Features.Set(admitted);
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Leave(admitted);
        }
    }

    /// <summary>HTTP middleware: the connection is not idle while one of its requests is served.</summary>
    public async Task TrackRequestAsync(HttpContext context, RequestDelegate next)
    {
        // HTTP features fall back to the connection's, where ServeAsync put it.
        var connection = context.Features.Get<CappedConnection>();
        if (connection is null)
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        RequestStarted(connection);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            RequestEnded(connection);
        }
    }

    internal int Open
    {
        get { lock (_lock) return _open; }
    }

    internal bool TryAdmit(CappedConnection connection, out CappedConnection? makingRoom)
    {
        lock (_lock)
        {
            makingRoom = null;
            if (_open >= capacity)
            {
                if (_idleLongestFirst.First is not { } longestIdle)
                    return false;
                makingRoom = longestIdle.Value;
                Forget(makingRoom);
            }
            _open++;
            connection.State = CappedConnection.Phase.Idle;
            _idleLongestFirst.AddLast(connection.IdleNode);
            return true;
        }
    }

    internal void RequestStarted(CappedConnection connection)
    {
        lock (_lock)
        {
            if (connection.State != CappedConnection.Phase.Idle)
                return;
            _idleLongestFirst.Remove(connection.IdleNode);
            connection.State = CappedConnection.Phase.InRequest;
        }
    }

    internal void RequestEnded(CappedConnection connection)
    {
        lock (_lock)
        {
            // A connection closed to make room stays closed even if a request had slipped in.
            if (connection.State != CappedConnection.Phase.InRequest)
                return;
            connection.State = CappedConnection.Phase.Idle;
            _idleLongestFirst.AddLast(connection.IdleNode);
        }
    }

    internal void Leave(CappedConnection connection)
    {
        lock (_lock)
        {
            if (connection.State != CappedConnection.Phase.Gone)
                Forget(connection);
        }
    }

    /// <summary>Stops counting the connection; its slot is free at once, even while its socket is still closing.</summary>
    private void Forget(CappedConnection connection)
    {
        if (connection.State == CappedConnection.Phase.Idle)
            _idleLongestFirst.Remove(connection.IdleNode);
        connection.State = CappedConnection.Phase.Gone;
        _open--;
    }
}
