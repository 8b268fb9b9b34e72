using Crik.Cli.HostCompatibility;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.HostCompatibility;

[Trait("Category", "Unit")]
public class TcpTableTests
{
    [Theory]
    [InlineData("-262144\n", 262144, true)]
    [InlineData("1024\n", 1024, false)]
    [InlineData("262144", 262144, false)]
    public void TheKernelsCountSaysTheSizeAndANegativeOneThatTheTableIsTheNodes(string text, int buckets, bool shared) =>
        Assert.Equal(new TcpTable(buckets, shared), TcpTable.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("many")]
    [InlineData("-2147483648")]
    public void NoCountIsNoTable(string text) => Assert.Null(TcpTable.Parse(text));

    [Fact]
    public void OnlyALargeSharedTableGetsTheHint()
    {
        Assert.Contains("net.ipv4.tcp_child_ehash_entries", new TcpTable(262144, Shared: true).CanLengthenFreezes, StringComparison.Ordinal);
        Assert.Contains("(65,536 buckets)", new TcpTable(TcpTable.WorthATableOfItsOwn, Shared: true).CanLengthenFreezes, StringComparison.Ordinal);
        Assert.Null(new TcpTable(32768, Shared: true).CanLengthenFreezes);
        Assert.Null(new TcpTable(262144, Shared: false).CanLengthenFreezes);
    }
}

/// <summary>
/// crik check and crik run in network namespaces of their own, as a pod's: one sharing the node's table of TCP connections
/// (the kernel's default), one with a table of its own (tcp_child_ehash_entries set in the namespace it was made from).
/// </summary>
public class TcpTableInANamespaceTests
{
    private static readonly string[] SharedTable = ["unshare", "--net", "--"];

    // The outer namespace's tcp_child_ehash_entries is set, not the node's: other tests' namespaces are not touched.
    private static readonly string[] OwnTable = ["unshare", "--net", "--", "sh", "-c",
        "echo 1024 > /proc/sys/net/ipv4/tcp_child_ehash_entries && exec unshare --net -- \"$@\"", "sh"];

    private static bool NodeTableIsLarge()
    {
        Assert.True(File.Exists(TcpTable.EntriesFile), $"no {TcpTable.EntriesFile}: the kernel says the size of the table from Linux 6.1 on");
        return Math.Abs(int.Parse(File.ReadAllText(TcpTable.EntriesFile).Trim(), System.Globalization.CultureInfo.InvariantCulture)) >= TcpTable.WorthATableOfItsOwn;
    }

    [NamespaceFact]
    public void CheckSaysWhetherThePodHasATableOfItsOwn()
    {
        using var dir = new TempDirectory();
        string config = dir.Write("config.yaml", $"imageDir: {dir.Path}/images\n");
        (_, string shared, string sharedError) = CrikCommand.RunUnder(SharedTable, ["check", "--config", config]);
        Assert.Equal(NodeTableIsLarge(), shared.Contains("note    this pod's network namespace shares the node's table of TCP connections", StringComparison.Ordinal));
        Assert.DoesNotContain("of its own", shared, StringComparison.Ordinal);
        (_, string own, string ownError) = CrikCommand.RunUnder(OwnTable, ["check", "--config", config]);
        Assert.Contains("ok      this network namespace has a table of TCP connections of its own (1,024 buckets)", own, StringComparison.Ordinal);
        Assert.DoesNotContain("shares the node's table", own + ownError + sharedError, StringComparison.Ordinal);
    }

    [NamespaceFact]
    public void RunWithCheckpointIntervalSaysSoOnceWhereThePodSharesALargeTable()
    {
        using var dir = new TempDirectory();
        string periodic = dir.Write("periodic.yaml", $"imageDir: {dir.Path}/images\ncheckpointInterval: 1s\n");
        string onSigtermOnly = dir.Write("sigterm.yaml", $"imageDir: {dir.Path}/images\n");
        const string Hint = "Periodic checkpoints can keep the app frozen longer than they could: this pod's network namespace shares the node's table";
        (int code, _, string error) = CrikCommand.RunUnder(SharedTable, ["run", "--config", periodic, "--", "true"]);
        Assert.True(code == 0, error);
        Assert.Equal(NodeTableIsLarge() ? 1 : 0, error.Split('\n').Count(l => l.Contains(Hint, StringComparison.Ordinal)));
        (code, _, error) = CrikCommand.RunUnder(OwnTable, ["run", "--config", periodic, "--", "true"]);
        Assert.True(code == 0, error);
        Assert.DoesNotContain(Hint, error, StringComparison.Ordinal);
        (code, _, error) = CrikCommand.RunUnder(SharedTable, ["run", "--config", onSigtermOnly, "--", "true"]);
        Assert.True(code == 0, error);
        Assert.DoesNotContain(Hint, error, StringComparison.Ordinal);
    }
}
