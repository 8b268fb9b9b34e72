using Crik.Cli.Interop;

namespace Crik.Cli.ImageStore;

/// <summary>
/// The app's paths as crik reaches them, as root, to save files, put them back or delete them: each component is opened from /
/// by the descriptor of the one before, never following a link, so nothing on the way can be swapped between a look and a use.
/// The image's own links (root's, such as /var/run to /run) are followed: the link is read from a descriptor of its own, its
/// owner and target together, and the walk starts again from /. Any other user's link on the way is refused: on a shared
/// volume, a link planted there would have crik read or write, as root, where that user cannot.
/// </summary>
internal static class AppPathWalk
{
    /// <summary>How many of the image's own links one path may go through.</summary>
    private const int MaxLinks = 40;

    /// <summary>The directory at an absolute path, each directory on the way made where missing (as mkdir -p makes it).</summary>
    public static DirectoryHandle OpenOrMake(string path) => Walk(path, PartsOf(path), PutBack, make: true)!;

    /// <summary>The directory holding an absolute path (made where missing, see <see cref="OpenOrMake"/>), and the last name in it.</summary>
    public static DirectoryHandle OpenOrMakeParentOf(string path, out string name) => Walk(path, ParentPartsOf(path, PutBack, out name), PutBack, make: true)!;

    /// <summary>
    /// The directory holding an absolute path, to save or delete what is there, and the last name in it; null when a directory
    /// on the way does not exist (or is not a directory): nothing is there.
    /// </summary>
    /// <param name="doing">What crik is to do there, for messages: "save" or "delete".</param>
    public static DirectoryHandle? TryOpenParentOf(string path, string doing, out string name) => Walk(path, ParentPartsOf(path, doing, out name), doing, make: false);

    private const string PutBack = "put back";

    private static string[] PartsOf(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    private static string[] ParentPartsOf(string path, string doing, out string name)
    {
        string[] parts = PartsOf(path);
        if (parts.Length == 0)
        {
            throw new IOException($"crik does not {doing} {path}: it names no file");
        }
        name = parts[^1];
        return parts[..^1];
    }

    /// <param name="doing">What crik is to do at the path, for messages.</param>
    /// <param name="make">Directories missing on the way are made; else the walk finds nothing there (null).</param>
    private static DirectoryHandle? Walk(string path, string[] parts, string doing, bool make, int links = 0)
    {
        if (!path.StartsWith('/') || parts.Any(p => p is "." or ".."))
        {
            throw new IOException($"crik does not {doing} {path}: only absolute paths without . or .. are saved");
        }
        DirectoryHandle? current = DirectoryHandle.OpenOrCreate("/");
        try
        {
            for (int i = 0; i < parts.Length && current is not null; i++)
            {
                FileStatus? status = current.Stat(parts[i]);
                if (status is { Kind: FileKind.SymbolicLink })
                {
                    string resolved = ThroughRootsLink(current, parts[i], parts[(i + 1)..], path, doing, links);
                    current.Dispose();
                    current = null;
                    return Walk(path, PartsOf(resolved), doing, make, links + 1);
                }
                DirectoryHandle? next = make ? current.OpenOrMakeDirectory(parts[i])
                    : status is { Kind: FileKind.Directory } ? current.TryOpenDirectory(parts[i]) : null;
                current.Dispose();
                current = next;
            }
            return current;
        }
        catch
        {
            current?.Dispose();
            throw;
        }
    }

    /// <summary>Where a link on the way leads, with the rest of the path after it; refused unless the link is root's.</summary>
    private static string ThroughRootsLink(DirectoryHandle directory, string name, string[] rest, string path, string doing, int links)
    {
        (string target, FileStatus link) = directory.ReadLink(name)
            ?? throw new IOException($"crik does not {doing} {path}: {directory.PathOf(name)} changed as crik went through it");
        if (links >= MaxLinks)
        {
            throw new IOException($"crik does not {doing} {path}: it goes through more than {MaxLinks} links on the way ({directory.PathOf(name)} among them)");
        }
        if (link.Uid != 0)
        {
            throw new IOException($"crik does not {doing} {path}: {directory.PathOf(name)} is a symbolic link of uid {link.Uid}, and crik, as root, "
                + "reaches the app's files only through real directories or root's own links (name the path the link leads to instead)");
        }
        return Path.GetFullPath(Path.Combine(directory.Path, target, string.Join('/', rest)));
    }
}
