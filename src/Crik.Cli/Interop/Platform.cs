using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

/// <summary>
/// The architecture facts crik's native calls depend on, stated once. crik runs on linux-x64 and
/// linux-arm64; signal numbers, errno values and most open(2) flags are the same on both, but a few
/// open(2) flags are not (x86-64 keeps its historical values; arm64 uses the generic ones).
/// </summary>
internal static class Platform
{
    public static readonly bool IsArm64 = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    /// <summary>O_DIRECTORY: 0x10000 on x86-64, 0x4000 on arm64 (where 0x10000 means O_DIRECT).</summary>
    public static readonly int O_DIRECTORY = IsArm64 ? 0x4000 : 0x10000;

    /// <summary>O_NOFOLLOW: 0x20000 on x86-64, 0x8000 on arm64.</summary>
    public static readonly int O_NOFOLLOW = IsArm64 ? 0x8000 : 0x20000;

    /// <summary>Null on a supported platform; otherwise why crik cannot run here.</summary>
    public static string? Unsupported() =>
        !OperatingSystem.IsLinux() ? "crik runs on Linux only"
        : RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64 ? null
        : $"crik supports linux-x64 and linux-arm64, not {RuntimeInformation.ProcessArchitecture}: its native flag values are known for those two only";
}
