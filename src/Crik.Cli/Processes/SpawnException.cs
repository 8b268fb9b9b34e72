using Crik.Cli.Interop;

namespace Crik.Cli.Processes;

/// <summary>The program could not be started.</summary>
internal sealed class SpawnException(string program, Errno errno)
    : Exception(Describe(program, errno))
{
    public Errno Error { get; } = errno;

    /// <summary>The program does not exist (as opposed to existing but not being runnable).</summary>
    public bool NotFound => Error is Errno.ENOENT or Errno.ENOTDIR;

    private static string Describe(string program, Errno errno) => errno switch
    {
        Errno.ENOENT or Errno.ENOTDIR => $"command not found: {program} (check the name and that it is on PATH in the image)",
        Errno.EACCES when Directory.Exists(program) => $"command is not executable: {program} (it is a directory)",
        Errno.EACCES => $"command is not executable: {program} (permission denied; check its mode, e.g. chmod +x)",
        Errno.ENOEXEC => $"command is not executable: {program} (not a program this system can run; a script needs a #! line)",
        Errno.EISDIR => $"command is not executable: {program} (it is a directory)",
        _ => $"cannot start {program}: {errno.Message()}",
    };
}
