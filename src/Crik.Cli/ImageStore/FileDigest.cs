using System.Globalization;
using Crik.Cli.Chunks;
using Crik.Cli.Guarding;
using Crik.Cli.Interop;
using Crik.Cli.Records;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Sizes and CRC-32C checksums of checkpoint files, one checksum per 32 MiB chunk so that every core
/// can checksum a large memory image at once. Files are reached relative to the checkpoint's
/// directory handle, never through a link.
/// </summary>
internal static class FileDigest
{
    public const int ChunkBytes = 32 << 20;
    private const int BufferBytes = 1 << 20;

    /// <summary>
    /// How many files are open at once: a tree of many processes has thousands of images, more than
    /// a container's descriptor limit allows.
    /// </summary>
    public const int FilesAtOnce = 256;

    /// <summary>Describes each file (paths relative to <paramref name="root"/>), checksumming chunks in parallel.</summary>
    public static List<ManifestFile> DescribeAll(DirectoryHandle root, IReadOnlyList<string> files)
    {
        var described = new List<ManifestFile>(files.Count);
        for (int start = 0; start < files.Count; start += FilesAtOnce)
        {
            described.AddRange(DescribeBatch(root, files.Skip(start).Take(FilesAtOnce).ToList()));
        }
        return described;
    }

    private static List<ManifestFile> DescribeBatch(DirectoryHandle root, List<string> files)
    {
        var handles = new SafeFileHandle[files.Count];
        try
        {
            for (int f = 0; f < files.Count; f++)
            {
                handles[f] = OpenRelative(root, files[f]) ?? throw new IOException($"{files[f]} is missing");
            }
            long[] sizes = handles.Select(RandomAccess.GetLength).ToArray();
            var work = new List<(int File, int Chunk)>();
            var checksums = new string[files.Count][];
            for (int f = 0; f < files.Count; f++)
            {
                int chunks = (int)Math.Max(1, (sizes[f] + ChunkBytes - 1) / ChunkBytes);
                checksums[f] = new string[chunks];
                work.AddRange(Enumerable.Range(0, chunks).Select(c => (f, c)));
            }
            void Describe((int File, int Chunk) item) =>
                checksums[item.File][item.Chunk] = Checksum(handles[item.File], (long)item.Chunk * ChunkBytes, sizes[item.File]);
            if (work.Count == 1)
            {
                Describe(work[0]); // a restore's usual one small file: no thread pool to start for it
            }
            else
            {
                try
                {
                    Parallel.ForEach(work, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, Describe);
                }
                catch (AggregateException e)
                {
                    ParallelFailure.RethrowFirstRead(e);
                }
            }
            return files.Select((f, i) => new ManifestFile(f, sizes[i], checksums[i])).ToList();
        }
        finally
        {
            foreach (SafeFileHandle? handle in handles)
            {
                handle?.Dispose();
            }
        }
    }

    /// <summary>
    /// Opens a file by its path relative to <paramref name="root"/>, one component at a time and
    /// never through a link; null when it is missing. Absolute paths and ".." are refused.
    /// </summary>
    public static SafeFileHandle? OpenRelative(DirectoryHandle root, string relativePath) =>
        InParent(root, relativePath, (parent, name) => parent.TryOpenFile(name));

    /// <summary>What is at a path relative to <paramref name="root"/> (a link is described, never followed; a link on the way is refused); null when nothing is.</summary>
    public static FileStatus? StatRelative(DirectoryHandle root, string relativePath) =>
        InParent(root, relativePath, (parent, name) => parent.Stat(name));

    /// <summary>Reaches the directory holding <paramref name="relativePath"/> one component at a time and asks it about the last; default when a directory on the way is missing.</summary>
    private static T? InParent<T>(DirectoryHandle root, string relativePath, Func<DirectoryHandle, string, T?> ask)
    {
        string[] parts = relativePath.Split('/');
        if (relativePath.StartsWith('/') || parts.Any(p => p is "" or "." or ".."))
        {
            throw new IOException($"{relativePath} is not a plain relative path");
        }
        DirectoryHandle current = root;
        try
        {
            foreach (string part in parts[..^1])
            {
                DirectoryHandle? next = current.TryOpenDirectory(part);
                if (current != root)
                {
                    current.Dispose();
                }
                if (next is null)
                {
                    return default;
                }
                current = next;
            }
            return ask(current, parts[^1]);
        }
        finally
        {
            if (current != root)
            {
                current.Dispose();
            }
        }
    }

    /// <summary>Every regular file below <paramref name="root"/>, relative to it, in a stable order; links are not followed.</summary>
    public static List<string> FilesBelow(DirectoryHandle root)
    {
        var found = new List<string>();
        Collect(root, "", found);
        return found.Order(StringComparer.Ordinal).ToList();
    }

    private static void Collect(DirectoryHandle directory, string prefix, List<string> found)
    {
        foreach (string name in directory.Names())
        {
            FileKind? kind = directory.Stat(name)?.Kind;
            if (kind == FileKind.Regular)
            {
                found.Add(prefix + name);
            }
            else if (kind == FileKind.Directory)
            {
                using DirectoryHandle? child = directory.TryOpenDirectory(name);
                if (child is not null)
                {
                    Collect(child, prefix + name + "/", found);
                }
            }
        }
    }

    private static string Checksum(SafeFileHandle handle, long offset, long fileSize)
    {
        long end = Math.Min(offset + ChunkBytes, fileSize);
        var buffer = new byte[Math.Clamp(end - offset, 1, BufferBytes)];
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
}
