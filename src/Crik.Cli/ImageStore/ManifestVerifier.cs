using Crik.Cli.Interop;
using Crik.Cli.Chunks;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Checks that a checkpoint is whole: a readable manifest, every file in its directory at its size
/// and checksum, and every chunk of its streamed images present in its pack.
/// </summary>
internal static class ManifestVerifier
{
    /// <summary>Null when the checkpoint named <paramref name="name"/> verifies; otherwise what is wrong, in a few words.</summary>
    /// <param name="readChunks">Also read every chunk and check its SHA-256 (crik images --verify); a restore
    /// does not, because it checks each chunk as it hands it to CRIU.</param>
    public static string? Verify(DirectoryHandle dir, string name, PackReader packs, out Manifest? manifest, bool readChunks = false) =>
        ReadManifest(dir, name, out manifest) ?? VerifyChunks(manifest!, packs, readChunks) ?? VerifyFiles(dir, manifest!);

    /// <summary>Reads and checks the manifest alone (not the images it lists); null when it is usable.</summary>
    public static string? ReadManifest(DirectoryHandle dir, string name, out Manifest? manifest)
    {
        manifest = null;
        byte[]? json;
        using (SafeFileHandle? file = dir.TryOpenFile(Manifest.FileName))
        {
            if (file is null)
            {
                return "it has no manifest";
            }
            long length = RandomAccess.GetLength(file);
            if (length > ManifestReader.MaxBytes)
            {
                return $"its manifest is {Size.Format(length)}, more than the {Size.Format(ManifestReader.MaxBytes)} any manifest needs";
            }
            json = new byte[length];
            int total = 0, read;
            while (total < json.Length && (read = RandomAccess.Read(file, json.AsSpan(total), total)) > 0)
            {
                total += read;
            }
            json = json[..total];
        }
        string? problem = ManifestReader.TryParse(json, out manifest);
        if (problem is not null)
        {
            return problem;
        }
        if (manifest!.Generation != StoreLayout.ParseGeneration(name))
        {
            return $"its manifest names generation {manifest.Generation}";
        }
        return null;
    }

    private static string? VerifyChunks(Manifest manifest, PackReader packs, bool readChunks)
    {
        byte[]? buffer = readChunks ? new byte[Chunks.PageChunker.MaxBytes] : null;
        foreach (ManifestFile image in manifest.Files.Where(f => f.IsStreamed))
        {
            if (image.Path.Contains('/') || image.Path is "." or "..")
            {
                return $"its manifest names an image that is not a plain name: {image.Path}";
            }
            long total = 0;
            foreach (ChunkRef chunk in image.Chunks!)
            {
                if (chunk.Length > Chunks.PageChunker.MaxBytes)
                {
                    return $"{image.Path} has a chunk of {chunk.Length} bytes, more than crik ever writes";
                }
                long? packLength = packs.PackLength(chunk.Pack);
                if (packLength is null)
                {
                    return $"{image.Path} needs {StoreLayout.PacksDir}/{StoreLayout.PackName(chunk.Pack)}, which is missing";
                }
                if (chunk.Offset + chunk.Length > packLength)
                {
                    return $"{image.Path} needs bytes {chunk.Offset}-{chunk.Offset + chunk.Length} of {StoreLayout.PacksDir}/{StoreLayout.PackName(chunk.Pack)}, which has {packLength}";
                }
                if (buffer is not null)
                {
                    try
                    {
                        packs.Read(chunk, buffer);
                    }
                    catch (ChunkException e)
                    {
                        return $"{image.Path}: {e.Message}";
                    }
                }
                total += chunk.Length;
            }
            if (total != image.Size)
            {
                return $"{image.Path} has chunks of {total} bytes, the manifest says {image.Size}";
            }
        }
        return null;
    }

    private static string? VerifyFiles(DirectoryHandle dir, Manifest manifest)
    {
        var paths = new List<string>();
        List<ManifestFile> inDirectory = manifest.Files.Where(f => !f.IsStreamed).ToList();
        foreach (ManifestFile file in inDirectory)
        {
            if (file.Path.StartsWith('/') || file.Path.Split('/').Any(p => p is "" or "." or ".."))
            {
                return $"its manifest names a file outside it: {file.Path}";
            }
            using (SafeFileHandle? handle = FileDigest.OpenRelative(dir, file.Path))
            {
                if (handle is null)
                {
                    return $"{file.Path} is missing";
                }
                if (FileStatus.Read((int)handle.DangerousGetHandle()) is { Kind: not FileKind.Regular } status)
                {
                    return $"{file.Path} is {DirectoryHandle.Describe(status.Kind)}, not a regular file";
                }
                long size = RandomAccess.GetLength(handle);
                if (size != file.Size)
                {
                    return $"{file.Path} has {size} bytes, the manifest says {file.Size}";
                }
            }
            paths.Add(file.Path);
        }
        List<ManifestFile> actual = FileDigest.DescribeAll(dir, paths);
        for (int i = 0; i < actual.Count; i++)
        {
            if (!actual[i].Crc32c.SequenceEqual(inDirectory[i].Crc32c))
            {
                return $"{inDirectory[i].Path} does not match its checksum";
            }
        }
        return null;
    }
}
