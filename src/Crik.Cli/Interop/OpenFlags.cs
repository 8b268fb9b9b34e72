namespace Crik.Cli.Interop;

/// <summary>
/// open(2) flags for this process's architecture. The ones that differ between x86-64 and arm64
/// come from <see cref="ArchitectureFlags"/>, chosen once at start by <see cref="Platform"/>; crik
/// refuses to start on any other architecture rather than pass a wrong flag to the kernel.
/// </summary>
internal static class OpenFlags
{
    /// <summary>O_DIRECTORY: fail with ENOTDIR unless the path is a directory.</summary>
    public static int Directory => Platform.Flags.Directory;

    /// <summary>O_NOFOLLOW: fail with ELOOP when the final component is a symbolic link.</summary>
    public static int NoFollow => Platform.Flags.NoFollow;

    /// <summary>O_DIRECT: reads and writes go between the caller's memory and the disk, not through the page cache.</summary>
    public static int Direct => Platform.Flags.Direct;

    // The same on every architecture crik runs on.
    public const int ReadOnly = 0, WriteOnly = 1, ReadWrite = 2, Create = 0x40, Truncate = 0x200, Append = 0x400,
        CloseOnExec = 0x80000, NonBlocking = 0x800, NoControllingTerminal = 0x100;

    /// <summary>O_EXCL (with O_CREAT): fail with EEXIST when the name exists, even as a dangling link. The same everywhere.</summary>
    public const int Exclusive = 0x80;

    /// <summary>O_PATH: a descriptor that only locates a file (with O_NOFOLLOW, the link itself). The same everywhere.</summary>
    public const int PathOnly = 0x200000;
}
