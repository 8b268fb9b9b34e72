using System.Net.Sockets;
using System.Text;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// A server's TCP listeners, IPv4 and IPv6, come back in the new pod on the ports they had, with the memory that counts its
/// answers. CRIU asks for each of the app's TCP sockets by its addresses instead of walking the kernel's table of them
/// (criu-patches/0012), and the dump log says so.
/// </summary>
public sealed class TcpSocketTests
{
    [CriuFact]
    public void ListenersOfBothFamiliesAnswerOnTheirPortsInTheNewPod()
    {
        string[] app = ["python3", Paths.App("tcp-listeners.py")];
        using var pods = new Pods("lazyRestore: off\n");
        int v4, v6;
        using (CrikRun first = pods.Start(app))
        {
            string[] ports = first.WaitForLine("ports ", TimeSpan.FromSeconds(30)).Split(' ');
            (v4, v6) = (int.Parse(ports[1]), int.Parse(ports[2]));
            Assert.Equal("answer 1", Ask("127.0.0.1", v4));
            Assert.Equal("answer 2", Ask("::1", v6));
            first.WaitForLine("count 3");
            Pods.CheckpointAndStop(first);
        }
        Assert.Contains("TCP sockets are asked for by their addresses", pods.DumpLog(1), StringComparison.Ordinal);
        Assert.DoesNotContain("walking the table", pods.DumpLog(1), StringComparison.Ordinal);
        using CrikRun second = pods.Start(app);
        second.WaitForLine("Restored checkpoint 1", stderr: true);
        Assert.Equal("answer 3", Ask("::1", v6));
        Assert.Equal("answer 4", Ask("127.0.0.1", v4));
        second.Signal(Native.SIGKILL);
    }

    private static string Ask(string host, int port)
    {
        using var client = new TcpClient(host, port);
        using var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
        return reader.ReadLine() ?? "";
    }
}
