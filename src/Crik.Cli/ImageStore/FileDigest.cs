using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Sizes and CRC-32C checksums of checkpoint files, one checksum per 32 MiB chunk so that every core
/// can checksum a large memory image at once.
/// </summary>
internal static class FileDigest
{
    public const int ChunkBytes = 32 << 20;
    private const int BufferBytes = 1 << 20;

    /// <summary>Describes each file (paths relative to <paramref name="root"/>), checksumming chunks in parallel.</summary>
    public static List<ManifestFile> DescribeAll(string root, IReadOnlyList<string> files)
    {
        long[] sizes = files.Select(f => new FileInfo(f).Length).ToArray();
        var work = new List<(int File, int Chunk)>();
        var checksums = new string[files.Count][];
        for (int f = 0; f < files.Count; f++)
        {
            int chunks = (int)Math.Max(1, (sizes[f] + ChunkBytes - 1) / ChunkBytes);
            checksums[f] = new string[chunks];
            work.AddRange(Enumerable.Range(0, chunks).Select(c => (f, c)));
        }
        Parallel.ForEach(work, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, item =>
        {
            using SafeFileHandle handle = File.OpenHandle(files[item.File], FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            checksums[item.File][item.Chunk] = Checksum(handle, (long)item.Chunk * ChunkBytes, sizes[item.File]);
        });
        return files.Select((f, i) => new ManifestFile(Path.GetRelativePath(root, f), sizes[i], checksums[i])).ToList();
    }

    private static string Checksum(SafeFileHandle handle, long offset, long fileSize)
    {
        long end = Math.Min(offset + ChunkBytes, fileSize);
        var buffer = new byte[BufferBytes];
        uint crc = 0;
        while (offset < end)
        {
            int read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(BufferBytes, end - offset)), offset);
            if (read == 0)
            {
                break; // the file shrank while we read it; the size check reports it
            }
            crc = Crc32C.Append(crc, buffer.AsSpan(0, read));
            offset += read;
        }
        return crc.ToString("x8", CultureInfo.InvariantCulture);
    }

    /// <summary>Every regular file below <paramref name="root"/>, in a stable order.</summary>
    public static List<string> FilesBelow(string root) =>
        new DirectoryInfo(root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(f => f.LinkTarget is null)
            .Select(f => f.FullName)
            .Order(StringComparer.Ordinal)
            .ToList();
}
