using Xunit;

namespace Crik.TestSupport;

/// <summary>
/// What the system tests need. Outside CI a missing prerequisite skips the test with the reason; in CI
/// (CI=true) nothing is skipped, so a missing prerequisite fails the test instead of hiding it.
/// </summary>
public static class Prerequisites
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool IsRoot => Environment.IsPrivilegedProcess;

    public static bool HasCriu { get; } = FindOnPath("criu") is not null;

    public static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    public static string? MissingForNamespaces() =>
        IsRoot ? null : "needs root to create PID namespaces with unshare (run the tests as root, as CI does)";

    public static string? MissingForCriu() =>
        MissingForNamespaces() ?? (HasCriu ? null : "needs criu 4.2+ on PATH (run scripts/install-criu.sh as root)");
}

/// <summary>A test that gives files to another user or group (chown): needs root.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Prerequisites.InCi && !Prerequisites.IsRoot)
        {
            Skip = "needs root to give a file to another group (run the tests as root, as CI does)";
        }
    }
}

/// <summary>A test that runs crik as PID 1 in a new PID namespace: needs root.</summary>
public sealed class NamespaceFactAttribute : FactAttribute
{
    public NamespaceFactAttribute()
    {
        if (!Prerequisites.InCi && Prerequisites.MissingForNamespaces() is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A theory that runs crik as PID 1 in a new PID namespace: needs root.</summary>
public sealed class NamespaceTheoryAttribute : TheoryAttribute
{
    public NamespaceTheoryAttribute()
    {
        if (!Prerequisites.InCi && Prerequisites.MissingForNamespaces() is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A test that checkpoints and restores with a real CRIU: needs root and criu.</summary>
public sealed class CriuFactAttribute : FactAttribute
{
    public CriuFactAttribute()
    {
        if (!Prerequisites.InCi && Prerequisites.MissingForCriu() is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A theory that checkpoints and restores with a real CRIU: needs root and criu.</summary>
public sealed class CriuTheoryAttribute : TheoryAttribute
{
    public CriuTheoryAttribute()
    {
        if (!Prerequisites.InCi && Prerequisites.MissingForCriu() is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A test that needs a program that CI installs (e.g. strace): skipped with the reason elsewhere.</summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(string program)
    {
        if (!Prerequisites.InCi && Prerequisites.FindOnPath(program) is null)
        {
            Skip = $"needs {program} on PATH (apt-get install {program}; CI installs it)";
        }
    }
}

/// <summary>
/// A test of CRIU's pre-dumps: needs root, criu, and a kernel that tracks dirty memory
/// (CONFIG_MEM_SOFT_DIRTY). The last is the kernel's, not something CI installs, so it skips in CI
/// too, with the reason, on kernels without it (these development machines' among them).
/// </summary>
public sealed class DirtyTrackingFactAttribute : FactAttribute
{
    public DirtyTrackingFactAttribute()
    {
        if (Prerequisites.MissingForCriu() is { } missing)
        {
            if (!Prerequisites.InCi)
            {
                Skip = missing;
            }
            return;
        }
        if (HostCommand.Run("criu", "check", "--feature", "mem_dirty_track").ExitCode != 0)
        {
            Skip = "this kernel does not track dirty memory (criu check --feature mem_dirty_track fails; it needs CONFIG_MEM_SOFT_DIRTY), "
                + "so CRIU cannot pre-dump here";
        }
    }
}

/// <summary>
/// A test of crik's write tracking (a userfaultfd in asynchronous write-protect mode, and PAGEMAP_SCAN): needs root, x86-64
/// (where crik runs a system call inside the app so far) and Linux 6.7 or later. The kernel is not something CI installs,
/// so an older one skips the test in CI too, with the reason.
/// </summary>
public sealed class WriteTrackingFactAttribute : FactAttribute
{
    public WriteTrackingFactAttribute() => Skip = WhySkipped();

    /// <summary>Why a test of write tracking is skipped here, or null.</summary>
    internal static string? WhySkipped()
    {
        if (Prerequisites.MissingForNamespaces() is { } missing)
        {
            return Prerequisites.InCi ? null : missing.Replace("to create PID namespaces with unshare", "to trace the app with ptrace", StringComparison.Ordinal);
        }
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            return "crik runs a system call inside the app on x86-64 only so far";
        }
        return KernelAtLeast(6, 7) ? null
            : $"this kernel ({File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}) has no PAGEMAP_SCAN or asynchronous write-protection: Linux 6.7 or later has";
    }

    private static bool KernelAtLeast(int major, int minor)
    {
        string[] parts = File.ReadAllText("/proc/sys/kernel/osrelease").Split('.', 3);
        return parts.Length >= 2 && int.TryParse(parts[0], out int have) && int.TryParse(new string(parts[1].TakeWhile(char.IsAsciiDigit).ToArray()), out int haveMinor)
            && (have, haveMinor).CompareTo((major, minor)) >= 0;
    }
}

/// <summary>
/// A test of checkpoints that read only what the app wrote (<see cref="WriteTrackingFactAttribute"/>'s needs, and a CRIU with
/// crik's patch, criu-patches/0001, which scripts/install-criu.sh builds: outside CI a stock CRIU skips the test).
/// </summary>
public sealed class WrittenOnlyFactAttribute : FactAttribute
{
    public WrittenOnlyFactAttribute() => Skip = WhySkipped();

    public static string? WhySkipped() =>
        WriteTrackingFactAttribute.WhySkipped() is { } why ? why
        : !Prerequisites.InCi && (!Prerequisites.HasCriu || HostCommand.Run("sh", "-c", "criu --help | grep -q -- --track-mem-uffd-wp").ExitCode != 0)
            ? "needs a CRIU built with crik's patch criu-patches/0001-track-mem-uffd-wp.patch (run scripts/install-criu.sh as root)"
            : null;
}

/// <summary>A theory of <see cref="WrittenOnlyFactAttribute"/>'s kind.</summary>
public sealed class WrittenOnlyTheoryAttribute : TheoryAttribute
{
    public WrittenOnlyTheoryAttribute() => Skip = WrittenOnlyFactAttribute.WhySkipped();
}

/// <summary>
/// A CRIU test that needs Linux <c>major.minor</c> or newer because on an older kernel it would change the machine, not only
/// its own containers (a sysctl that is per namespace only from then on): skipped there with the reason, in CI too.
/// </summary>
public sealed class CriuFactFromLinuxAttribute : FactAttribute
{
    public CriuFactFromLinuxAttribute(int major, int minor, string because)
    {
        string release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        string[] parts = release.Split('.', 3);
        bool atLeast = parts.Length >= 2 && int.TryParse(parts[0], out int found)
            && int.TryParse(new string(parts[1].TakeWhile(char.IsAsciiDigit).ToArray()), out int foundMinor) && (found, foundMinor).CompareTo((major, minor)) >= 0;
        if (!atLeast)
        {
            Skip = $"needs Linux {major}.{minor} or newer ({because}); this is {release}";
        }
        else if (!Prerequisites.InCi && Prerequisites.MissingForCriu() is { } reason)
        {
            Skip = reason;
        }
    }
}
