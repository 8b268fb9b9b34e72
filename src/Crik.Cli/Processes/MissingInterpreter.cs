namespace Crik.Cli.Processes;

/// <summary>
/// Why a program that is there fails to start with ENOENT: the kernel reports so when what the program names to run it is
/// missing, a script's #! interpreter or a binary's dynamic loader (built for another libc or architecture).
/// </summary>
internal static class MissingInterpreter
{
    /// <summary>What is missing, said for a user; null when the program itself is not there (it is not found, as ENOENT says).</summary>
    /// <param name="program">The command's first word, as given.</param>
    /// <param name="path">The PATH it was looked up on, when it has no slash.</param>
    public static string? Of(string program, string? path)
    {
        string? file = program.Contains('/') ? program : path?.Split(':').Select(d => Path.Combine(d.Length == 0 ? "." : d, program)).FirstOrDefault(File.Exists);
        if (file is null || !File.Exists(file))
        {
            return null;
        }
        byte[] start = new byte[256];
        int read;
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        ReadOnlySpan<byte> head = start.AsSpan(0, read);
        if (head.StartsWith("#!"u8))
        {
            return Interpreter(file, head[2..]);
        }
        return head.StartsWith("\u007fELF"u8)
            ? $"{file} is there, but its dynamic loader is not: it was built for another C library (glibc or musl) or architecture than the image has"
            : null;
    }

    private static string Interpreter(string file, ReadOnlySpan<byte> line)
    {
        int end = line.IndexOf((byte)'\n');
        string text = System.Text.Encoding.UTF8.GetString(end < 0 ? line : line[..end]);
        string interpreter = text.Trim(' ', '\t').Split([' ', '\t'], 2)[0];
        if (interpreter.EndsWith('\r'))
        {
            return $"{file} is there, but its #! line ends in a carriage return (Windows line endings), so the interpreter "
                + $"\"{interpreter.TrimEnd('\r')}\\r\" does not exist: convert the script to Unix line endings (dos2unix)";
        }
        return $"{file} is there, but its interpreter {interpreter} (its #! line) is not: install it in the image or change the #! line";
    }
}
