using System.Globalization;
using Crik.Cli.Processes;

namespace Crik.Cli.HostCompatibility;

/// <summary>
/// The hash table of established TCP connections that crik's network namespace uses. The CRIU crik builds asks for each of
/// the app's TCP sockets by its addresses (criu-patches/0012), a lookup in one bucket; where it cannot (more than 32 TCP
/// sockets, listeners sharing a port) it asks for every one in the namespace, and the kernel answers by walking every
/// bucket of that table, with the app frozen: then a pod whose namespace shares the node's table (the kernel's default)
/// has each checkpoint's freeze lengthened by a walk of the node's whole table, however few sockets the pod holds.
/// </summary>
/// <param name="Buckets">How many buckets the table has.</param>
/// <param name="Shared">Whether it is the node's table, shared with other namespaces, rather than the namespace's own.</param>
internal sealed record TcpTable(int Buckets, bool Shared)
{
    /// <summary>The kernel's count of the namespace's buckets, negative where it shares the node's table (Linux 6.1 and later).</summary>
    public const string EntriesFile = "/proc/sys/net/ipv4/tcp_ehash_entries";

    /// <summary>
    /// Where a shared table is worth a hint: on a two-core VM the walk of 262,144 buckets took 1.5–2.5 ms of each freeze
    /// against 0.13–0.24 ms for a table of 1,024, so from 65,536 buckets on it costs about half a millisecond or more.
    /// </summary>
    public const int WorthATableOfItsOwn = 65536;

    /// <summary>The table of crik's network namespace; null where the kernel does not say (before Linux 6.1).</summary>
    public static TcpTable? OfThisNamespace() => Parse(ProcFiles.Text(EntriesFile));

    public static TcpTable? Parse(string text) =>
        int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int entries) && entries != 0 && entries != int.MinValue
            ? new TcpTable(Math.Abs(entries), Shared: entries < 0)
            : null;

    /// <summary>How many buckets, as a log line says it: 262,144.</summary>
    public string BucketCount => Buckets.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>What to change on the node, where the shared table is large enough to lengthen a freeze that walks it; else null.</summary>
    public string? CanLengthenFreezes => Shared && Buckets >= WorthATableOfItsOwn
        ? $"this pod's network namespace shares the node's table of TCP connections ({BucketCount} buckets), "
            + "which CRIU walks whole with the app frozen at each checkpoint of an app with more than 32 TCP sockets or with listeners sharing a port "
            + "(1.5-2.5 ms of each freeze for 262,144 buckets on a two-core VM). "
            + "Set the sysctl net.ipv4.tcp_child_ehash_entries on the node (to a power of two near the most connections a pod holds, "
            + "4096 say): pods started after that get a table of their own"
        : null;
}
