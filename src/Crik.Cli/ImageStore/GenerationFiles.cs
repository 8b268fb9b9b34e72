using System.Globalization;
using Crik.Cli.Chunks;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Interop;
using Crik.Cli.Model;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Checks the files a manifest lists beside it (a volume's generation: CRIU's small images, saved files
/// without a key) through the backend: each there as a regular file, at its size, and then each at its
/// checksum (CRC-32C per <see cref="FileDigest.ChunkBytes"/>, as <see cref="FileDigest"/> wrote it), files
/// checksummed in parallel.
/// </summary>
internal static class GenerationFiles
{
    private const int ReadBytes = 1 << 20;

    public static string? Verify(IStoreBackend backend, string location, Manifest manifest)
    {
        List<ManifestFile> beside = manifest.Files.Where(f => !f.IsStreamed).ToList();
        foreach (ManifestFile file in beside)
        {
            if (file.Path.StartsWith('/') || file.Path.Split('/').Any(p => p is "" or "." or ".."))
            {
                return $"its manifest names a file outside it: {file.Path}";
            }
            StoredStatus? status = backend.Describe($"{location}/{file.Path}");
            if (status is null)
            {
                return $"{file.Path} is missing";
            }
            if (status.Kind != FileKind.Regular)
            {
                return $"{file.Path} is {DirectoryHandle.Describe(status.Kind)}, not a regular file";
            }
            if (status.Size != file.Size)
            {
                return $"{file.Path} has {status.Size} bytes, the manifest says {file.Size}";
            }
        }
        string?[] mismatches = new string?[beside.Count];
        try
        {
            Parallel.For(0, beside.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
                mismatches[i] = Checksums(backend, $"{location}/{beside[i].Path}", beside[i].Size).SequenceEqual(beside[i].Crc32c)
                    ? null : $"{beside[i].Path} does not match its checksum");
        }
        catch (AggregateException e)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return mismatches.FirstOrDefault(m => m is not null);
    }

    /// <summary>The checksum of each <see cref="FileDigest.ChunkBytes"/> of a file, read a range at a time (one for an empty file).</summary>
    private static List<string> Checksums(IStoreBackend backend, string key, long size)
    {
        var checksums = new List<string>();
        long offset = 0;
        do
        {
            long end = Math.Min(offset + FileDigest.ChunkBytes, size);
            uint crc = 0;
            while (offset < end)
            {
                byte[] read = backend.Read(key, offset, (int)Math.Min(ReadBytes, end - offset)) ?? throw new IOException($"{key} vanished while crik read it");
                if (read.Length == 0)
                {
                    return [.. checksums, crc.ToString("x8", CultureInfo.InvariantCulture)]; // it shrank while read: the checksum says so
                }
                crc = Crc32C.Append(crc, read);
                offset += read.Length;
            }
            checksums.Add(crc.ToString("x8", CultureInfo.InvariantCulture));
        }
        while (offset < size);
        return checksums;
    }
}
