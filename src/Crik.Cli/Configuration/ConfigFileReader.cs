using System.Buffers;
using System.Text.Unicode;
using Crik.Cli.Interop;

namespace Crik.Cli.Configuration;

/// <summary>
/// Reads the configuration file's text, refusing what is not a small regular UTF-8 text file before
/// it can hang crik (a FIFO), exhaust its memory (/dev/zero) or be silently misread (NUL bytes).
/// </summary>
internal static class ConfigFileReader
{
    public const int MaximumBytes = 1024 * 1024;

    /// <summary>
    /// The file's text; null when the file does not exist and <paramref name="origin"/> is null (the
    /// default path). <paramref name="origin"/> says who named the path: "--config" or "CRIK_CONFIG".
    /// </summary>
    public static string? Read(string path, string? origin)
    {
        if (path.Length == 0)
        {
            throw new ConfigException($"{origin} is empty: give the path of the configuration file, or leave {origin} out");
        }
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new ConfigException($"{path}: the configuration path (from {origin}) contains a NUL character; fix the path");
        }
        FileStatus? status = Status(path);
        if (status is null)
        {
            return origin is null ? null
                : throw new ConfigException($"{path}: configuration file not found (named by {origin}); fix the path or remove {origin}");
        }
        if (status.Value.Kind != FileKind.Regular)
        {
            throw new ConfigException($"{path}: is {status.Value.Kind.Described()}, not a regular file; the configuration must be a YAML file");
        }
        if (status.Value.Size > MaximumBytes)
        {
            throw TooBig(path, status.Value.Size);
        }
        return Decode(path, ReadBounded(path, status.Value.Size));
    }

    private static FileStatus? Status(string path)
    {
        try
        {
            return FileStatus.TryRead(path, followLinks: true);
        }
        catch (IOException e)
        {
            throw new ConfigException($"{path}: cannot read the configuration file: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads at most one byte past the limit, so a file that grew since statx is still caught. The buffer starts at
    /// the size statx gave (a megabyte for every small file was garbage the restore then waited for it to collect).
    /// </summary>
    private static byte[] ReadBounded(string path, long statedSize)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            byte[] buffer = new byte[(int)Math.Min(statedSize + 1, MaximumBytes + 1)];
            int total = 0;
            int read;
            while ((read = RandomAccess.Read(handle, buffer.AsSpan(total), total)) > 0)
            {
                total += read;
                if (total == buffer.Length)
                {
                    if (total > MaximumBytes)
                    {
                        break;
                    }
                    Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MaximumBytes + 1)); // it grew since statx
                }
            }
            return total > MaximumBytes ? throw TooBig(path, total) : buffer[..total];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot read the configuration file: {e.Message}", e);
        }
    }

    private static string Decode(string path, byte[] bytes)
    {
        ReadOnlySpan<byte> text = bytes;
        if (text.StartsWith("\uFEFF"u8))
        {
            text = text[3..];
        }
        int nul = text.IndexOf((byte)0);
        if (nul >= 0)
        {
            throw new ConfigException($"{path}:{LineAt(text, nul)}: the file contains a NUL byte; the configuration must be UTF-8 text");
        }
        char[] chars = new char[text.Length];
        OperationStatus result = Utf8.ToUtf16(text, chars, out int bytesRead, out int charsWritten, replaceInvalidSequences: false);
        if (result != OperationStatus.Done)
        {
            throw new ConfigException($"{path}:{LineAt(text, bytesRead)}: the file is not valid UTF-8 (byte 0x{text[bytesRead]:X2} at offset {bytesRead}); save it as UTF-8");
        }
        return new string(chars, 0, charsWritten);
    }

    private static int LineAt(ReadOnlySpan<byte> text, int offset) => text[..offset].Count((byte)'\n') + 1;

    private static ConfigException TooBig(string path, long size) =>
        new($"{path}: the file is {size} bytes; a configuration file may be at most 1 MiB ({MaximumBytes} bytes)");
}
