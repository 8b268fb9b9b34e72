using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Chunks;

/// <summary>
/// Reads a key file without trusting what is there: a regular file only (a FIFO would hang crik,
/// /dev/zero would fill its memory), opened without blocking, and never more than a key can be.
/// </summary>
internal static class KeyFile
{
    /// <summary>The base64 of 32 bytes is 44 characters; the rest allows for the line ends and spaces an editor or echo adds.</summary>
    public const int MaxBytes = 64;

    public const string HowToMakeOne = "(make one with: head -c 32 /dev/urandom | base64)";

    /// <summary>The file's bytes, and a warning when its mode lets anyone but its owner read it.</summary>
    /// <param name="setting">The configuration key that named the file, for messages.</param>
    /// <exception cref="KeyFileException">One line saying what is wrong with the file and how to make a good one.</exception>
    public static (byte[] Content, string? Warning) Read(string path, string setting)
    {
        try
        {
            FileStatus named = FileStatus.TryRead(path, followLinks: true)
                ?? throw new KeyFileException($"{setting} {path} cannot be read ({Errno.ENOENT.Message()}); mount the Secret holding the key there");
            // Checked before the open too: opening some devices does something (a watchdog starts).
            RequireKey(named, path, setting);
            using SafeFileHandle file = NonBlockingFile.OpenForReading(path);
            FileStatus opened = FileStatus.Read((int)file.DangerousGetHandle());
            RequireKey(opened, path, setting);
            return (FileContents.Read(file, MaxBytes), ReadableByOthers(opened.Mode, path, setting));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException($"{setting} {path} cannot be read ({e.Message}); mount the Secret holding the key there");
        }
    }

    public static KeyFileException NotAKey(string path, string setting, long bytes) =>
        new($"{setting} {path} holds {bytes} bytes, not a 256-bit key: it must hold 32 raw bytes or their base64 {HowToMakeOne}");

    private static void RequireKey(FileStatus status, string path, string setting)
    {
        if (status.Kind != FileKind.Regular)
        {
            throw new KeyFileException($"{setting} {path} is {status.Kind.Described()}, not a regular file: "
                + $"point it at a file holding 32 random bytes or their base64 {HowToMakeOne}");
        }
        if (status.Size > MaxBytes)
        {
            throw NotAKey(path, setting, status.Size);
        }
    }

    private static string? ReadableByOthers(UnixFileMode mode, string path, string setting)
    {
        bool group = mode.HasFlag(UnixFileMode.GroupRead), others = mode.HasFlag(UnixFileMode.OtherRead);
        if (!group && !others)
        {
            return null;
        }
        string who = group && others ? "its group and others" : group ? "its group" : "others";
        return $"{setting} {path} can be read by {who} (mode {Convert.ToString((int)mode & 0x1ff, 8)}): only its owner should read a key; "
            + "give the Secret's volume defaultMode: 0400, or chmod 600 the file";
    }
}
