using System.Globalization;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Criu;

/// <summary>
/// CRIU asks for each of the app's TCP sockets by its addresses instead of walking the kernel's table of every TCP socket
/// the node has (criu-patches/0012), and walks it only where a lookup cannot say: whatever the sockets, the dump's record
/// of the app's files is the one a walk gives.
/// </summary>
public sealed class TcpLookupTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _work = new();

    [WrittenOnlyTheory]
    [InlineData("plain", null)] // listeners of both families and dual-stack, connections, one in flight, half-closed ones, closed ones, a raw one
    [InlineData("group", "not found by its addresses: walking the table")] // two listeners sharing a port
    [InlineData("many", "walking the table after 32 lookups")] // 40 more connected pairs
    public void TheSocketsAskedForOneByOneGiveTheImagesOfAWalk(string sockets, string? walkedBecause)
    {
        string output = Path.Combine(_work.Path, "app.out");
        int pid = Spawner.Spawn(new SpawnRequest(["python3", Paths.App("tcp-sockets-of-every-kind.py"), sockets], NewSession: true, OutputPath: output));
        try
        {
            Poll.Until(() => Read(output).Contains("ready\n", StringComparison.Ordinal), $"the app did not get ready: {Read(output)}", Wait);

            (string walked, string walkedLog) = DumpWith(pid, "walked", "CRIU_FAULT=141"); // as before criu-patches/0012
            (string asked, string askedLog) = DumpWith(pid, "asked");

            Assert.Contains("TCP sockets of both families collected in one walk", walkedLog, StringComparison.Ordinal);
            Assert.DoesNotContain("asked for by their addresses", walkedLog, StringComparison.Ordinal);
            Assert.Contains("TCP sockets are asked for by their addresses", askedLog, StringComparison.Ordinal);
            if (walkedBecause is null)
            {
                Assert.DoesNotContain("walking the table", askedLog, StringComparison.Ordinal);
            }
            else
            {
                Assert.Contains(walkedBecause, askedLog, StringComparison.Ordinal);
            }
            foreach (string image in Directory.GetFiles(walked).Select(Path.GetFileName).OfType<string>()
                .Where(f => f == "files.img" || f.StartsWith("fdinfo-", StringComparison.Ordinal)))
            {
                Assert.True(File.ReadAllBytes(Path.Combine(walked, image)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(asked, image))),
                    $"{image} differs between the walk and the lookups ({sockets})");
            }
        }
        finally
        {
            _ = Posix.TrySignal(pid, Signal.SIGKILL);
            Poll.Until(() => Posix.ReapChild(pid, out _), "the app was not reaped", Wait);
        }
    }

    public void Dispose() => _work.Dispose();

    private (string Directory, string Log) DumpWith(int pid, string name, params string[] environment)
    {
        string images = Directory.CreateDirectory(Path.Combine(_work.Path, name)).FullName;
        (int code, string error) = HostCommand.Run("env", [.. environment, "criu", "dump", "-t", pid.ToString(CultureInfo.InvariantCulture), "-D", images,
            "-o", "dump.log", "-v4", "--leave-running", "--tcp-close", "--skip-in-flight"]);
        string log = File.ReadAllText(Path.Combine(images, "dump.log"));
        Assert.True(code == 0, $"criu dump ({name}) exited {code}: {error}\n{log}");
        return (images, log);
    }

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : "";
}
