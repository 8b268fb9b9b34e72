using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Interop;
using Crik.Cli.Records;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Checks the files a manifest lists beside it (a volume's generation: CRIU's small images, saved files
/// without a key) in the generation's directory, opened once on this node: each there as a regular file,
/// at its size, and then each at its checksums, computed as <see cref="FileDigest"/> computed them when
/// the generation was committed.
/// </summary>
internal static class GenerationFiles
{
    public static string? Verify(INodeDirectories node, string location, Manifest manifest)
    {
        List<ManifestFile> beside = manifest.Files.Where(f => !f.IsStreamed).ToList();
        if (beside.FirstOrDefault(f => f.Path.StartsWith('/') || f.Path.Split('/').Any(p => p is "" or "." or "..")) is { } outside)
        {
            return $"its manifest names a file outside it: {outside.Path}";
        }
        using DirectoryHandle? directory = node.OpenLocalDirectory(location);
        return directory is null ? "its directory vanished" : node.ReadLocalFiles(() => Check(directory, beside));
    }

    private static string? Check(DirectoryHandle directory, List<ManifestFile> beside)
    {
        foreach (ManifestFile file in beside)
        {
            FileStatus? status = FileDigest.StatRelative(directory, file.Path);
            if (status is null)
            {
                return $"{file.Path} is missing";
            }
            if (status.Value.Kind != FileKind.Regular)
            {
                return $"{file.Path} is {DirectoryHandle.Describe(status.Value.Kind)}, not a regular file";
            }
            if (status.Value.Size != file.Size)
            {
                return $"{file.Path} has {status.Value.Size} bytes, the manifest says {file.Size}";
            }
        }
        List<ManifestFile> found = FileDigest.DescribeAll(directory, beside.Select(f => f.Path).ToList());
        return beside.Zip(found).Where(f => !f.Second.Crc32c.SequenceEqual(f.First.Crc32c)).Select(f => $"{f.First.Path} does not match its checksum").FirstOrDefault();
    }
}
