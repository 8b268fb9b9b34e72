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

    private static readonly DescriptorStream OutputStream = new(Descriptor(1));

    /// <summary>stdout: --help, --version and the commands' answers.</summary>
    public static readonly TextWriter Output = Writer(OutputStream);

    /// <summary>Whether a write to stdout failed (a reader that closed it, a full disk).</summary>
    public static bool OutputFailed => OutputStream.Failed;

    /// <summary>Writes a line to stderr unless that fails too (both streams closed by the reader): nothing is left to tell.</summary>
    public static void TryWriteError(string line)
    {
        try
        {
            Error.WriteLine(line);
        }
        catch (IOException)
        {
        }
    }

    private static TextWriter Open(int fd) => Writer(new DescriptorStream(Descriptor(fd)));

    /// <summary>/dev/null where a descriptor is not crik's; without /dev/null, one whose writes go nowhere (it must not fail crik's start).</summary>
    private static Microsoft.Win32.SafeHandles.SafeFileHandle NullOrNothing()
    {
        try
        {
            return StandardDescriptors.OpenNull();
        }
        catch (IOException)
        {
            return new Microsoft.Win32.SafeHandles.SafeFileHandle(-1, ownsHandle: false);
        }
    }

    /// <summary><paramref name="fd"/>, or /dev/null where that descriptor is not crik's (<see cref="StandardDescriptors"/>).</summary>
    private static Microsoft.Win32.SafeHandles.SafeFileHandle Descriptor(int fd) =>
        StandardDescriptors.IsCriks(fd) ? new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false) : NullOrNothing();

    private static TextWriter Writer(DescriptorStream stream) =>
        TextWriter.Synchronized(new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true });
}
