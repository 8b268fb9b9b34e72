namespace Crik.Cli.Interop;

// Directories below one crik holds open, reached one name at a time (so a link on the way is refused).
internal sealed partial class DirectoryHandle
{
    /// <summary>The directory at <paramref name="parts"/> below this one, made private where missing; links are refused.</summary>
    public DirectoryHandle OpenOrCreateBelow(IEnumerable<string> parts)
    {
        DirectoryHandle current = OpenOrCreateDirectory(".");
        foreach (string part in parts.Where(p => p.Length > 0))
        {
            DirectoryHandle next = current.OpenOrCreateDirectory(part);
            current.Dispose();
            current = next;
        }
        return current;
    }

    /// <summary>
    /// The directory that holds <paramref name="path"/> ('/'-separated, below this one), made private
    /// where missing; <paramref name="name"/> is the path's last part.
    /// </summary>
    public DirectoryHandle OpenOrCreateParent(string path, out string name)
    {
        string[] parts = path.Split('/');
        name = parts[^1];
        return OpenOrCreateBelow(parts[..^1]);
    }
}
