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

    /// <summary>A writer on <paramref name="fd"/>, or on /dev/null where that descriptor is not crik's (<see cref="StandardDescriptors"/>).</summary>
    private static TextWriter Open(int fd)
    {
        var handle = StandardDescriptors.IsCriks(fd) ? new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false) : StandardDescriptors.OpenNull();
        return TextWriter.Synchronized(new StreamWriter(new DescriptorStream(handle), new UTF8Encoding(false)) { AutoFlush = true });
    }
}
