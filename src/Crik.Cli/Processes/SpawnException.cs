using Crik.Cli.Interop;

namespace Crik.Cli.Processes;

/// <summary>The program could not be started.</summary>
/// <param name="missingInterpreter">With ENOENT for a program that is there: what it needs to run and lacks (<see cref="MissingInterpreter"/>).</param>
internal sealed class SpawnException(string program, Errno errno, string? missingInterpreter = null)
    : Exception(Describe(program, errno, missingInterpreter))
{
    public Errno Error { get; } = errno;

    /// <summary>The program does not exist (as opposed to existing but not being runnable).</summary>
    public bool NotFound => Error is Errno.ENOENT or Errno.ENOTDIR && missingInterpreter is null;

    private static string Describe(string program, Errno errno, string? missingInterpreter) => errno switch
    {
        Errno.ENOENT when missingInterpreter is not null => $"command is not executable: {missingInterpreter}",
        Errno.ENOENT or Errno.ENOTDIR => $"command not found: {program} (check the name and that it is on PATH in the image)",
        Errno.EACCES when Directory.Exists(program) => $"command is not executable: {program} (it is a directory)",
        Errno.EACCES => $"command is not executable: {program} (permission denied; check its mode, e.g. chmod +x)",
        Errno.ENOEXEC => $"command is not executable: {program} (not a program this system can run; a script needs a #! line)",
        Errno.EISDIR => $"command is not executable: {program} (it is a directory)",
        _ => $"cannot start {program}: {errno.Message()}",
    };
}
