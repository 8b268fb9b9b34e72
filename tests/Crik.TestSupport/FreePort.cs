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

    /// <summary>
    /// An HTTP listener started on a free loopback port, and the port. The port is free when chosen and taken a moment
    /// later, and another test's client may take it as its own end in between ("Address already in use"): so on that
    /// error a new port is chosen, up to ten times.
    /// </summary>
    public static (HttpListener Listener, int Port) StartHttpListener()
    {
        for (int attempt = 1; ; attempt++)
        {
            int port = Get();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return (listener, port);
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                listener.Close();
            }
        }
    }
}
