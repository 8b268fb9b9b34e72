using System.Globalization;

namespace Crik.Cli.Interop;

/// <summary>Which Linux this is, by its release (/proc/sys/kernel/osrelease, "6.18.0-1-amd64"), for what changed between releases.</summary>
internal static class KernelRelease
{
    public const string ReleaseFile = "/proc/sys/kernel/osrelease";

    /// <summary>Whether this node's kernel is <paramref name="major"/>.<paramref name="minor"/> or newer; one whose release cannot be read counts as not.</summary>
    public static bool ThisIsAtLeast(int major, int minor)
    {
        try
        {
            return IsAtLeast(File.ReadAllText(ReleaseFile).Trim(), major, minor);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="release"/> is <paramref name="major"/>.<paramref name="minor"/> or newer; one that cannot be read counts as not.</summary>
    public static bool IsAtLeast(string release, int major, int minor)
    {
        string[] parts = release.Split('.', 3);
        return parts.Length >= 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int found)
            && int.TryParse(new string(parts[1].TakeWhile(char.IsAsciiDigit).ToArray()), NumberStyles.None, CultureInfo.InvariantCulture, out int foundMinor)
            && (found, foundMinor).CompareTo((major, minor)) >= 0;
    }
}
