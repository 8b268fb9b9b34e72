using System.Net;
using System.Net.Sockets;

namespace Crik.TestSupport;

/// <summary>The one way these tests pick a loopback port: let the kernel choose one, then release it.</summary>
public static class FreePort
{
    /// <summary>A port nothing listens on right now: free for a server to take, or closed for a client to fail on.</summary>
    public static int Get()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
