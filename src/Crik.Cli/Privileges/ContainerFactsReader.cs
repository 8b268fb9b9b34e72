using System.Globalization;
using Crik.Cli.Configuration;
using Crik.Cli.HostCompatibility;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Privileges;

/// <summary>Reads <see cref="ContainerFacts"/> from /proc and the file system; changes nothing (a probe file is removed at once).</summary>
internal static class ContainerFactsReader
{
    private const string LastPidFile = "/proc/sys/kernel/ns_last_pid";

    public static ContainerFacts Read(string? imageDir, string? criuVersion)
    {
        ProcStatus status = ProcFiles.Status("/proc/self/status");
        return new ContainerFacts(
            Posix.EffectiveUserId,
            CapabilitySet.Of(status),
            status.Seccomp ?? 0,
            int.TryParse(ProcFiles.Lines("/proc/sys/kernel/yama/ptrace_scope").FirstOrDefault(), CultureInfo.InvariantCulture, out int scope) ? scope : null,
            CanOpenForWriting(LastPidFile),
            criuVersion,
            imageDir,
            imageDir is null || S3Address.IsS3(imageDir) ? null : WriteProblem(imageDir),
            ProcFiles.Lines("/proc/1/comm").FirstOrDefault()?.Trim() ?? "unknown",
            UserfaultProblem: UserfaultProblem(),
            TcpTable: TcpTable.OfThisNamespace());
    }

    /// <summary>Why CRIU cannot serve a restored app's memory on demand here, or null (see <see cref="Userfault.Unavailable"/>).</summary>
    public static string? UserfaultProblem() =>
        Userfault.Unavailable(CapabilitySet.Own().Has(Capability.SysPtrace), ProcFiles.Lines("/proc/sys/vm/unprivileged_userfaultfd").FirstOrDefault()?.Trim());

    /// <summary>Why crik could not write in <paramref name="directory"/> (or, while it does not exist yet, in its nearest existing parent), or null.</summary>
    private static string? WriteProblem(string directory)
    {
        string existing = directory;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
            {
                return $"{existing} is a file, not a directory";
            }
            existing = Path.GetDirectoryName(existing) ?? "/";
        }
        string probe = Path.Combine(existing, $".crik-check-{Environment.ProcessId}");
        using SafeFileHandle? file = UnlockedFile.TryOpen(probe, OpenFlags.WriteOnly | OpenFlags.Create | OpenFlags.Exclusive, (UnixFileMode)0x180, out Errno errno);
        if (file is null)
        {
            return $"crik cannot write in {existing} ({errno.Message()}): mount there a volume this container's user may write";
        }
        File.Delete(probe);
        return null;
    }

    private static bool CanOpenForWriting(string path)
    {
        using SafeFileHandle? file = UnlockedFile.TryOpen(path, OpenFlags.WriteOnly, 0, out _);
        return file is not null;
    }
}
