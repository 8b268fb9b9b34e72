using System.Text.Json;

namespace Crik.Cli.ImageStore;

/// <summary>Checks that a checkpoint is whole: a readable manifest and every file at its size and checksum.</summary>
internal static class ManifestVerifier
{
    /// <summary>Null when the checkpoint verifies; otherwise what is wrong, in a few words.</summary>
    public static string? Verify(string dir, out Manifest? manifest)
    {
        manifest = null;
        string path = Path.Combine(dir, Manifest.FileName);
        if (!File.Exists(path))
        {
            return "it has no manifest";
        }
        try
        {
            manifest = JsonSerializer.Deserialize(File.ReadAllBytes(path), ManifestJsonContext.Default.Manifest);
        }
        catch (JsonException e)
        {
            return $"its manifest is not valid JSON ({e.Message})";
        }
        if (manifest is null || manifest.Format != Manifest.CurrentFormat)
        {
            return $"its manifest has an unknown format {manifest?.Format}";
        }
        if (manifest.Generation != CheckpointStore.ParseGeneration(Path.GetFileName(dir)))
        {
            return $"its manifest names generation {manifest.Generation}";
        }
        if (manifest.Files.Count == 0 || manifest.RootPid <= 0)
        {
            return "its manifest lists no images";
        }
        var paths = new List<string>();
        foreach (ManifestFile file in manifest.Files)
        {
            string full = Path.GetFullPath(Path.Combine(dir, file.Path));
            if (!full.StartsWith(Path.GetFullPath(dir) + "/", StringComparison.Ordinal))
            {
                return $"its manifest names a file outside it: {file.Path}";
            }
            if (!File.Exists(full))
            {
                return $"{file.Path} is missing";
            }
            long size = new FileInfo(full).Length;
            if (size != file.Size)
            {
                return $"{file.Path} has {size} bytes, the manifest says {file.Size}";
            }
            paths.Add(full);
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
