using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore;

/// <summary>Checks that a checkpoint is whole: a readable manifest and every file at its size and checksum.</summary>
internal static class ManifestVerifier
{
    /// <summary>Null when the checkpoint named <paramref name="name"/> verifies; otherwise what is wrong, in a few words.</summary>
    public static string? Verify(DirectoryHandle dir, string name, out Manifest? manifest) =>
        ReadManifest(dir, name, out manifest) ?? VerifyFiles(dir, manifest!);

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

    private static string? VerifyFiles(DirectoryHandle dir, Manifest manifest)
    {
        var paths = new List<string>();
        foreach (ManifestFile file in manifest.Files)
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
            if (!actual[i].Crc32c.SequenceEqual(manifest.Files[i].Crc32c))
            {
                return $"{manifest.Files[i].Path} does not match its checksum";
            }
        }
        return null;
    }
}
