using System.Text;

namespace Crik.Cli.Carrying;

/// <summary>The mounts of crik's mount namespace, which the app shares.</summary>
internal sealed class MountTable(IReadOnlyList<Mount> mounts)
{
    public IReadOnlyList<Mount> Mounts => mounts;

    public static MountTable Read(string path = "/proc/self/mountinfo") => Parse(File.ReadLines(path));

    /// <summary>
    /// Parses mountinfo lines: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS".
    /// Lines it cannot read are left out.
    /// </summary>
    public static MountTable Parse(IEnumerable<string> lines)
    {
        var parsed = new List<Mount>();
        foreach (string line in lines)
        {
            string[] fields = line.Split(' ');
            int separator = fields.Length > 6 ? Array.IndexOf(fields, "-", 6) : -1;
            if (separator < 0 || separator + 1 >= fields.Length)
            {
                continue;
            }
            bool readOnly = HasOption(fields[5], "ro") || (separator + 3 < fields.Length && HasOption(fields[separator + 3], "ro"));
            parsed.Add(new Mount(Unescape(fields[4]), Unescape(fields[3]), fields[separator + 1], readOnly));
        }
        return new MountTable(parsed);
    }

    /// <summary>The mount a path is on: the deepest mount point that contains it, the last one mounted where several stack.</summary>
    public Mount? Containing(string path)
    {
        Mount? best = null;
        foreach (Mount mount in mounts)
        {
            if (IsAtOrBelow(path, mount.MountPoint) && (best is null || mount.MountPoint.Length >= best.MountPoint.Length))
            {
                best = mount;
            }
        }
        return best;
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="directory"/> or inside it (both absolute and normalised).</summary>
    public static bool IsAtOrBelow(string path, string directory) =>
        directory == "/" || path == directory || path.StartsWith(directory + "/", StringComparison.Ordinal);

    private static bool HasOption(string options, string option) => options.Split(',').Contains(option);

    /// <summary>mountinfo writes space, tab, newline and backslash as octal escapes (\040, \011, \012, \134).</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }
        var text = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 4 <= field.Length && IsOctal(field.AsSpan(i + 1, 3)))
            {
                text.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                text.Append(field[i]);
            }
        }
        return text.ToString();
    }

    private static bool IsOctal(ReadOnlySpan<char> digits)
    {
        foreach (char digit in digits)
        {
            if (digit is < '0' or > '7')
            {
                return false;
            }
        }
        return true;
    }
}
