using System.Globalization;

namespace Crik.Cli.Processes;

/// <summary>
/// One line of /proc/PID/maps: "START-END PERMS OFFSET DEV INODE PATH", the path empty for anonymous memory, a name in
/// brackets for the kernel's own areas ("[heap]", "[vdso]"), and " (deleted)" after a file that is gone.
/// </summary>
internal readonly record struct MapsArea(ulong Start, ulong End, string Permissions, string Path)
{
    /// <summary>Copy-on-write ("p"): its pages are this process's own once written.</summary>
    public bool Private => Permissions.Length == 4 && Permissions[3] == 'p';

    /// <summary>Shared ("s"): another process may write it through its own mapping.</summary>
    public bool Shared => Permissions.Length == 4 && Permissions[3] == 's';

    public ulong Size => End - Start;

    /// <summary>The area a maps line describes; null for a line that is not one.</summary>
    public static MapsArea? Parse(string line)
    {
        string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 5)
        {
            return null;
        }
        string[] range = fields[0].Split('-');
        return range.Length == 2
            && ulong.TryParse(range[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong start)
            && ulong.TryParse(range[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong end) && end > start
            ? new MapsArea(start, end, fields[1], fields.Length == 6 ? fields[5].TrimStart(' ') : "")
            : null;
    }
}
