using System.Globalization;

namespace Crik.Cli.Checkpointing;

/// <summary>Sizes and CRC-32C checksums of checkpoint files.</summary>
internal static class FileDigest
{
    private const int BufferSize = 1 << 20;

    public static ManifestFile Describe(string root, string file)
    {
        uint crc = 0;
        var buffer = new byte[BufferSize];
        long size = 0;
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        {
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                crc = Crc32C.Append(crc, buffer.AsSpan(0, read));
                size += read;
            }
        }
        return new ManifestFile(Path.GetRelativePath(root, file), size, crc.ToString("x8", CultureInfo.InvariantCulture));
    }

    /// <summary>Every regular file below <paramref name="root"/>, in a stable order.</summary>
    public static IEnumerable<string> FilesBelow(string root) =>
        new DirectoryInfo(root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(f => f.LinkTarget is null)
            .Select(f => f.FullName)
            .Order(StringComparer.Ordinal);
}
