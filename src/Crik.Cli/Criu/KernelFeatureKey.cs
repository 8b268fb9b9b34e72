using System.Globalization;

namespace Crik.Cli.Criu;

/// <summary>
/// What CRIU's view of the kernel (/run/criu.kdat) holds true for: this boot (the kernel's boot id), this kernel
/// release, and this criu binary (where PATH finds it, its size and when it was written). One line of text each.
/// </summary>
internal static class KernelFeatureKey
{
    private const string BootIdPath = "/proc/sys/kernel/random/boot_id", ReleasePath = "/proc/sys/kernel/osrelease";

    public static string Current() => string.Join('\n', "boot " + ReadLine(BootIdPath), "kernel " + ReadLine(ReleasePath), "criu " + CriuBinary()) + "\n";

    /// <summary>A key on one line, for the log.</summary>
    public static string Describe(string key) => string.Join(", ", key.Split('\n', StringSplitOptions.RemoveEmptyEntries));

    private static string ReadLine(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    /// <summary>The criu that PATH finds, as "path size written-at"; "none" when PATH finds none.</summary>
    private static string CriuBinary()
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var file = new FileInfo(Path.Combine(directory, "criu"));
            if (file.Exists)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{file.FullName} {file.Length} {file.LastWriteTimeUtc.Ticks}");
            }
        }
        return "none";
    }
}
