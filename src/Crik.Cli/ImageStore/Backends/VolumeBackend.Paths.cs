using Crik.Cli.Interop;

namespace Crik.Cli.ImageStore.Backends;

// Keys to directory handles: every name below the image directory reached from the root handle, one at a time, never through a link.
internal sealed partial class VolumeBackend
{
    /// <summary>The directory holding <paramref name="location"/> (a handle of its own) and the name in it.</summary>
    private (DirectoryHandle Parent, string Name) Parent(string location, bool create = false)
    {
        int slash = location.IndexOf('/');
        if (slash < 0)
        {
            return (Root.OpenOrCreateDirectory("."), location);
        }
        string subdirectory = location[..slash];
        DirectoryHandle parent = create ? Root.OpenOrCreateDirectory(subdirectory)
            : Root.TryOpenDirectory(subdirectory) ?? throw new IOException($"{Root.PathOf(subdirectory)} vanished");
        return (parent, location[(slash + 1)..]);
    }

    /// <summary>A path's directory part ("" for the image directory itself) and its last name.</summary>
    private static (string Directory, string Name) Split(string path) =>
        path.LastIndexOf('/') is var slash and >= 0 ? (path[..slash], path[(slash + 1)..]) : ("", path);

    /// <summary>
    /// A directory below the image directory ("" is the image directory), a handle of its own, reached one name
    /// at a time: null when a name on the way is absent (or, with <paramref name="onlyDirectories"/>, anything but
    /// a directory); otherwise a link or a file on the way is refused.
    /// </summary>
    private DirectoryHandle? TryOpenBelow(string directory, bool onlyDirectories = false)
    {
        string[] parts = directory.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            return Root.OpenOrCreateDirectory(".");
        }
        DirectoryHandle? current = null;
        foreach (string part in parts)
        {
            DirectoryHandle above = current ?? Root;
            DirectoryHandle? next;
            try
            {
                next = onlyDirectories && above.Stat(part) is not { Kind: FileKind.Directory } ? null : above.TryOpenDirectory(part);
            }
            finally
            {
                current?.Dispose();
            }
            if (next is null)
            {
                return null;
            }
            current = next;
        }
        return current;
    }
}
