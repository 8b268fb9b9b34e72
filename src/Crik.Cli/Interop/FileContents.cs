using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>Reading a small file crik has open, whole.</summary>
internal static class FileContents
{
    /// <summary>The file's bytes from its start, at most <paramref name="max"/> of them (fewer should it shrink while read).</summary>
    public static byte[] Read(SafeFileHandle file, long max)
    {
        var bytes = new byte[Math.Min(RandomAccess.GetLength(file), max)];
        int total = 0, read;
        while (total < bytes.Length && (read = RandomAccess.Read(file, bytes.AsSpan(total), total)) > 0)
        {
            total += read;
        }
        return total == bytes.Length ? bytes : bytes[..total];
    }
}
