using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

/// <summary>
/// open(2) flags whose values differ between Linux architectures (asm/fcntl.h): x86-64 uses the
/// generic values, arm64 its own. Chosen once from the process architecture; any other
/// architecture fails clearly instead of passing a wrong flag to the kernel.
/// </summary>
internal static class OpenFlags
{
    /// <summary>O_DIRECTORY: fail with ENOTDIR unless the path is a directory.</summary>
    public static readonly int Directory;

    /// <summary>O_NOFOLLOW: fail with ELOOP when the final component is a symbolic link.</summary>
    public static readonly int NoFollow;

    /// <summary>O_EXCL (with O_CREAT): fail with EEXIST when the name exists, even as a dangling link.</summary>
    public const int Exclusive = 0x80;

    static OpenFlags()
    {
        (Directory, NoFollow) = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => (0x10000, 0x20000),
            Architecture.Arm64 => (0x4000, 0x8000),
            Architecture other => throw new PlatformNotSupportedException(
                $"crik knows the open(2) flag values of x64 and arm64 only, not {other}"),
        };
    }
}
