using Crik.Cli.Configuration;

namespace Crik.Cli.Carrying;

/// <summary>
/// Whether checkpoints in a volume's image directory outlive the container: not when the directory
/// is on the container's own root file system (its nearest mount point is "/"), as it is when the
/// volume meant for it was not mounted.
/// </summary>
internal static class ImageDirMount
{
    /// <summary>Why checkpoints in <paramref name="imageDir"/> will be lost with this container, or null (a mounted volume, object storage, or no mount table).</summary>
    public static string? NotOnAVolume(string imageDir, MountTable mounts)
    {
        if (S3Address.IsS3(imageDir) || !imageDir.StartsWith('/'))
        {
            return null;
        }
        if (mounts.Containing(Path.TrimEndingDirectorySeparator(Path.GetFullPath(imageDir))) is not { MountPoint: "/" })
        {
            return null;
        }
        return $"imageDir {imageDir} is on the container's own root file system, not on a mounted volume, so its checkpoints will not outlive "
            + $"this container and every new pod starts fresh: mount a PersistentVolumeClaim there (volumeMounts mountPath: {imageDir}) or use s3://";
    }

    /// <summary><see cref="NotOnAVolume(string, MountTable)"/> for crik's own mount namespace; null when its mount table cannot be read.</summary>
    public static string? NotOnAVolume(string imageDir)
    {
        try
        {
            return NotOnAVolume(imageDir, MountTable.Read());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
