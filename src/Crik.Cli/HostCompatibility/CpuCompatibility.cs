namespace Crik.Cli.HostCompatibility;

/// <summary>
/// Whether this node can run what a checkpoint's node ran. Restored code goes on using the
/// instructions it found at start (glibc, the JIT and libraries pick AVX-512, AMX, SHA and the like
/// once), so a node without one of them kills the app later with SIGILL. Pure, so unit-tested.
/// </summary>
internal static class CpuCompatibility
{
    /// <summary>
    /// Features that are instructions user code may use. Everything else /proc/cpuinfo lists
    /// (hypervisor, timer, bug-workaround and kernel-only flags) may differ between nodes of one type.
    /// </summary>
    private static readonly string[] InstructionFeaturePrefixes =
    [
        "sse", "ssse3", "pni", "avx", "amx", "fma", "f16c", "bmi", "abm", "lzcnt", "popcnt", "movbe", "adx", "aes", "vaes",
        "pclmulqdq", "vpclmulqdq", "gfni", "sha", "rdrand", "rdseed", "rdpid", "cx16", "clflushopt",
        "clwb", "movdir", "serialize", "waitpkg", "pku", "ospke", "vnni", "avx_vnni", "mmx", "3dnow",
        // arm64
        "asimd", "atomics", "crc32", "pmull", "sha1", "sha2", "sha3", "sha512", "sm3", "sm4", "sve", "sve2", "fphp", "dcpop",
        "lrcpc", "ilrcpc", "jscvt", "fcma", "dotprod", "i8mm", "bf16", "flagm", "paca", "pacg", "bti", "mte",
    ];

    /// <summary>
    /// Instruction features whose names begin others that are not (xsaves is the kernel's alone; xsaveerptr says how
    /// xsave behaves). Flags that only say how fast an instruction runs (erms, fsrm) are in neither list.
    /// </summary>
    private static readonly string[] InstructionFeatureNames = ["xsave", "xsaveopt", "xsavec"];

    /// <summary>The instruction features the checkpoint's node had and this one lacks; empty when it can run here.</summary>
    public static List<string> Missing(HostFacts recorded, HostFacts here)
    {
        var present = here.CpuFeatures.ToHashSet(StringComparer.Ordinal);
        return recorded.CpuFeatures.Where(IsInstructionFeature).Where(f => !present.Contains(f)).ToList();
    }

    /// <summary>One line about a mismatch, or null when this node can run the checkpoint.</summary>
    public static string? Problem(HostFacts? recorded, HostFacts here)
    {
        if (recorded is null)
        {
            return null;
        }
        if (recorded.Architecture != here.Architecture)
        {
            return $"it was taken on {recorded.Architecture} and this node is {here.Architecture}";
        }
        List<string> missing = Missing(recorded, here);
        return missing.Count == 0
            ? null
            : $"this node's processor lacks {string.Join(' ', missing)}, which the checkpoint's node had (the app may use them and die of SIGILL)";
    }

    private static bool IsInstructionFeature(string feature) =>
        InstructionFeatureNames.Contains(feature) || InstructionFeaturePrefixes.Any(prefix => feature.StartsWith(prefix, StringComparison.Ordinal));
}
