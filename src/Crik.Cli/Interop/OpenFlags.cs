using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

/// <summary>
/// open(2) flags whose values differ between Linux architectures (asm/fcntl.h): x86-64 uses the
/// generic values, arm64 its own. Chosen from the process architecture; any other architecture
/// fails with a <see cref="PlatformNotSupportedException"/> that says so, instead of passing a
/// wrong flag to the kernel.
/// </summary>
internal static class OpenFlags
{
    /// <summary>O_DIRECTORY: fail with ENOTDIR unless the path is a directory.</summary>
    public static int Directory => Choose(x64: 0x10000, arm64: 0x4000, "O_DIRECTORY");

    /// <summary>O_NOFOLLOW: fail with ELOOP when the final component is a symbolic link.</summary>
    public static int NoFollow => Choose(x64: 0x20000, arm64: 0x8000, "O_NOFOLLOW");

    /// <summary>O_EXCL (with O_CREAT): fail with EEXIST when the name exists, even as a dangling link. The same everywhere.</summary>
    public const int Exclusive = 0x80;

    private static int Choose(int x64, int arm64, string name) => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => x64,
        Architecture.Arm64 => arm64,
        Architecture other => throw new PlatformNotSupportedException(
            $"crik knows the value of {name} on x64 and arm64 only, not on {other}"),
    };
}
