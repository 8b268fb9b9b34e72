using Crik.Cli.Interop;

namespace Crik.Cli.Processes;

/// <summary>The program could not be started.</summary>
internal sealed class SpawnException(string program, int errno)
    : Exception(Describe(program, errno))
{
    public int Errno { get; } = errno;

    /// <summary>The program does not exist (as opposed to existing but not being runnable).</summary>
    public bool NotFound => Errno is Libc.ENOENT or Libc.ENOTDIR;

    private static string Describe(string program, int errno) => errno switch
    {
        Libc.ENOENT or Libc.ENOTDIR => $"command not found: {program} (check the name and that it is on PATH in the image)",
        Libc.EACCES when Directory.Exists(program) => $"command is not executable: {program} (it is a directory)",
        Libc.EACCES => $"command is not executable: {program} (permission denied; check its mode, e.g. chmod +x)",
        Libc.ENOEXEC => $"command is not executable: {program} (not a program this system can run; a script needs a #! line)",
        Libc.EISDIR => $"command is not executable: {program} (it is a directory)",
        _ => $"cannot start {program}: {Libc.Describe(errno)}",
    };
}
