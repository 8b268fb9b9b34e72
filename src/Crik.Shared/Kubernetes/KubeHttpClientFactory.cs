using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Crik.Shared.Kubernetes;

/// <summary>Builds the one HttpClient used for the API: TLS trust from the configured CA, optional client certificate.</summary>
internal static class KubeHttpClientFactory
{
    public static HttpClient Create(ClusterConnection connection)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = System.Net.DecompressionMethods.GZip,
            ConnectCallback = ConnectWithKeepAliveAsync,
        };
        if (connection.ClientCertificate is { } certificate)
            handler.SslOptions.ClientCertificates = [certificate];
        if (connection.InsecureSkipTlsVerify)
        {
            // The kubeconfig explicitly asks for insecure-skip-tls-verify; honour it as kubectl does.
#pragma warning disable CA5359
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        else if (connection.CertificateAuthorities.Count > 0)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                TrustedByConfiguredAuthority(cert, errors, connection.CertificateAuthorities);

        // Watches stay open for minutes; each request carries its own cancellation instead.
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// A watch may sit silent for minutes, so a peer that vanished without a FIN/RST would go unnoticed;
    /// TCP keep-alive probes find it within about a minute.
    /// </summary>
    private static async ValueTask<Stream> ConnectWithKeepAliveAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 30);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static bool TrustedByConfiguredAuthority(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection authorities)
    {
        if (errors == SslPolicyErrors.None)
            return true;
        // The host name must still match; only the chain may end at the kubeconfig's CA instead of the system store.
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
            return false;

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
