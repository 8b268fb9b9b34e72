using System.Text;
using Crik.Cli.Interop;

namespace Crik.Cli.Logging;

/// <summary>
/// crik's stdout and stderr, written through the file descriptors directly. System.Console is avoided on purpose:
/// on a terminal it installs a SIGCHLD handler that would reap the app behind crik's back.
/// </summary>
internal static class StandardStreams
{
    /// <summary>stderr: log lines and error messages.</summary>
    public static readonly TextWriter Error = Open(2);

    /// <summary>stdout: --help and --version.</summary>
    public static readonly TextWriter Output = Open(1);

    private static TextWriter Open(int fd)
    {
        return TextWriter.Synchronized(new StreamWriter(new DescriptorStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false)), new UTF8Encoding(false)) { AutoFlush = true });
    }
}
