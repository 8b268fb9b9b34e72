using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Crik.NodeStateServer.Http;

/// <summary>
/// Kestrel's limits, sized for this server's traffic (small GETs from crik, probes and Prometheus) so that idle
/// or oversized connections cannot push its memory past the chart's limit. Documented in docs/node-state-server.md.
/// </summary>
internal static class ServerLimits
{
    /// <summary>An idle connection costs about 25 KiB; a thousand stay far inside the chart's 256 MiB.</summary>
    public const int DefaultMaxConnections = 1000;

    /// <summary>
    /// How long a connection may go without a request in progress: before its first request, between requests, and
    /// while a request's headers arrive. Clients send their request at once, so a few seconds are plenty, and
    /// connections that never send one (which any pod can open) go away quickly.
    /// </summary>
    public static readonly TimeSpan IdleLimit = TimeSpan.FromSeconds(5);
    public const int MaxRequestLineBytes = 4 * 1024;
    public const int MaxRequestHeadersBytes = 16 * 1024;
    public const int MaxRequestHeaderCount = 50;

    public static void Apply(KestrelServerLimits limits)
    {
        // ConnectionCap enforces --max-connections instead (see there why).
        limits.MaxConcurrentConnections = null;
        limits.MaxConcurrentUpgradedConnections = 0;
        // Kestrel times the wait for a connection's first request with the keep-alive timeout too.
        limits.KeepAliveTimeout = IdleLimit;
        limits.RequestHeadersTimeout = IdleLimit;
        limits.MaxRequestLineSize = MaxRequestLineBytes;
        limits.MaxRequestHeadersTotalSize = MaxRequestHeadersBytes;
        limits.MaxRequestHeaderCount = MaxRequestHeaderCount;
        // Every endpoint is a GET: a request body is never read, so none needs room.
        limits.MaxRequestBodySize = 0;
        limits.MaxRequestBufferSize = 64 * 1024;
        limits.MaxResponseBufferSize = 64 * 1024;
    }
}
