using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json.Serialization;
using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Records;

/// <summary>
/// Which program a checkpoint is of: the command line, the executable its first word resolves to
/// (PATH lookup, every link resolved: <c>sh</c> is /usr/bin/dash on Debian), its size, and a cheap
/// fingerprint (CRC-32C of its first and last 64 KiB and its size). A checkpoint is restored only
/// into the same identity.
/// </summary>
internal sealed record AppIdentity(IReadOnlyList<string> Command, string? Executable, long Size, string? Fingerprint)
{
    private const int SampleBytes = 64 << 10;
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>Why the executable could not be read here, when it could not; never recorded.</summary>
    [JsonIgnore]
    public string? ReadError { get; init; }

    /// <summary>The identity of what <paramref name="command"/> runs here; never throws (an unresolvable program has no executable).</summary>
    public static AppIdentity Of(IReadOnlyList<string> command)
    {
        string? executable = command.Count == 0 ? null : Resolve(command[0]);
        if (executable is null)
        {
            return new AppIdentity(command, null, 0, null);
        }
        try
        {
            using SafeFileHandle file = UnlockedFile.Open(executable, OpenFlags.ReadOnly);
            long size = RandomAccess.GetLength(file);
            return new AppIdentity(command, executable, size, ComputeFingerprint(file, size));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new AppIdentity(command, executable, 0, null) { ReadError = e.Message };
        }
    }

    /// <summary>
    /// Null when a checkpoint with this manifest may be restored into <paramref name="current"/>;
    /// otherwise one line saying why not. A manifest from before identities were recorded is a
    /// mismatch only when the command line differs.
    /// </summary>
    public static string? Mismatch(Manifest recorded, AppIdentity current)
    {
        if (!recorded.Command.SequenceEqual(current.Command))
        {
            return $"checkpoint {recorded.Generation} is of the command {Join(recorded.Command)}, this container runs {Join(current.Command)}";
        }
        AppIdentity? app = recorded.App;
        if (app is null || (app.Executable == current.Executable && app.Size == current.Size && app.Fingerprint == current.Fingerprint))
        {
            return null;
        }
        return $"checkpoint {recorded.Generation} is of {app.Describe()}, this container runs {current.Describe()}";
    }

    /// <summary>
    /// Why no one can tell whether a checkpoint with this manifest is of <paramref name="current"/>: the checkpoint's program
    /// was read, with the same command line, and this container's cannot be found, or cannot be read at the same path. Null
    /// when the two can be compared.
    /// </summary>
    public static string? CannotTell(Manifest recorded, AppIdentity current)
    {
        if (!recorded.Command.SequenceEqual(current.Command) || recorded.App?.Fingerprint is null || current.Fingerprint is not null
            || (current.Executable is not null && current.Executable != recorded.App.Executable))
        {
            return null; // the two can be compared: another path is another app, whatever its bytes
        }
        return current.Executable is null
            ? $"this container has no program {current.Command[0]} (looked for {(current.Command[0].Contains('/') ? "at that path" : "in PATH")})"
            : $"crik could not read {current.Executable}: {current.ReadError ?? "unknown error"}";
    }

    /// <summary>E.g. "/app/server 1.2 MiB (fingerprint 1a2b3c4d)".</summary>
    public string Describe() => Executable is null
        ? $"a program crik could not find ({(Command.Count > 0 ? Command[0] : "")})"
        : $"{Executable} {Logging.Size.Format(Size)} (fingerprint {Fingerprint ?? "unreadable"})";

    private static string? Resolve(string program)
    {
        if (program.Contains('/'))
        {
            return PathResolution.RealPath(program);
        }
        string path = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } value ? value : DefaultPath;
        foreach (string dir in path.Split(':'))
        {
            string candidate = Path.Combine(dir.Length == 0 ? "." : dir, program);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return PathResolution.RealPath(candidate);
            }
        }
        return null;
    }

    private static string ComputeFingerprint(SafeFileHandle file, long size)
    {
        var buffer = new byte[SampleBytes];
        int read = RandomAccess.Read(file, buffer, 0);
        uint crc = Crc32C.Append(0, buffer.AsSpan(0, read));
        if (size > SampleBytes)
        {
            read = RandomAccess.Read(file, buffer, Math.Max(SampleBytes, size - SampleBytes));
            crc = Crc32C.Append(crc, buffer.AsSpan(0, read));
        }
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, size);
        return Crc32C.Append(crc, length).ToString("x8", CultureInfo.InvariantCulture);
    }

    private static string Join(IReadOnlyList<string> command) => string.Join(' ', command);
}
