using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

/// <summary>
/// The architecture facts crik's native calls depend on, stated once. crik runs on linux-x64 and
/// linux-arm64; signal numbers, errno values and most open(2) flags are the same on both, but a few
/// open(2) flags are not (x86-64 keeps its historical values; arm64 uses the generic ones).
/// </summary>
internal static class Platform
{
    private static readonly ArchitectureFlags? Current = ArchitectureFlags.For(RuntimeInformation.ProcessArchitecture);

    /// <summary>The flags for this process's architecture; throws on one crik does not know.</summary>
    public static ArchitectureFlags Flags => Current ?? throw new PlatformNotSupportedException(Unsupported());

    /// <summary>Null on a supported platform; otherwise why crik cannot run here. Checked at start.</summary>
    public static string? Unsupported() =>
        !OperatingSystem.IsLinux() ? "crik runs on Linux only"
        : ArchitectureFlags.For(RuntimeInformation.ProcessArchitecture) is not null ? null
        : $"crik supports linux-x64 and linux-arm64, not {RuntimeInformation.ProcessArchitecture}: its native flag values are known for those two only";
}

/// <summary>The open(2) flags whose values differ between the architectures crik runs on.</summary>
internal sealed record ArchitectureFlags(int Directory, int NoFollow, int Direct)
{
    /// <summary>The values for <paramref name="architecture"/>, or null when crik does not know them.</summary>
    public static ArchitectureFlags? For(Architecture architecture) => architecture switch
    {
        Architecture.X64 => new(Directory: 0x10000, NoFollow: 0x20000, Direct: 0x4000),
        // The generic values; on arm64, 0x10000 is O_DIRECT and 0x20000 is O_LARGEFILE.
        Architecture.Arm64 => new(Directory: 0x4000, NoFollow: 0x8000, Direct: 0x10000),
        _ => null,
    };
}
