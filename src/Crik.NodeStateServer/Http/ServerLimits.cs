using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Crik.NodeStateServer.Http;

/// <summary>
/// Kestrel's limits, sized for this server's traffic (small GETs from crik, probes and Prometheus) so that idle
/// or oversized connections cannot push its memory past the chart's limit. Documented in the README.
/// </summary>
internal static class ServerLimits
{
    /// <summary>An idle connection costs about 25 KiB; a thousand stay far inside the chart's 256 MiB.</summary>
    public const int DefaultMaxConnections = 1000;

    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan RequestHeaders = TimeSpan.FromSeconds(10);
    public const int MaxRequestLineBytes = 4 * 1024;
    public const int MaxRequestHeadersBytes = 16 * 1024;
    public const int MaxRequestHeaderCount = 50;

    public static void Apply(KestrelServerLimits limits, int maxConnections)
    {
        limits.MaxConcurrentConnections = maxConnections;
        limits.MaxConcurrentUpgradedConnections = 0;
        limits.KeepAliveTimeout = KeepAlive;
        limits.RequestHeadersTimeout = RequestHeaders;
        limits.MaxRequestLineSize = MaxRequestLineBytes;
        limits.MaxRequestHeadersTotalSize = MaxRequestHeadersBytes;
        limits.MaxRequestHeaderCount = MaxRequestHeaderCount;
        // Every endpoint is a GET: a request body is never read, so none needs room.
        limits.MaxRequestBodySize = 0;
        limits.MaxRequestBufferSize = 64 * 1024;
        limits.MaxResponseBufferSize = 64 * 1024;
    }
}
