namespace Crik.Cli.Criu;

/// <summary>
/// The size of a page in CRIU's images, the one definition crik's chunking, pre-dump flattening and
/// lazy fill work in. CRIU writes pages in the page size of the machine that dumps them, and only a
/// machine with the same page size can restore them (a lazy restore checks the checkpoint's against
/// this node's first: <c>RestoreMethod.PageSizeProblem</c>), so it is this machine's: 4 KiB on x86-64.
/// </summary>
internal static class ImagePage
{
    public static readonly int Bytes = Environment.SystemPageSize;
}
