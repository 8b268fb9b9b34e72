using System.Text;
using Crik.Cli.Interop;

namespace Crik.Cli.Logging;

/// <summary>
/// crik's stderr, written through the file descriptor directly. System.Console is avoided on purpose:
/// on a terminal it installs a SIGCHLD handler that would reap the app behind crik's back.
/// </summary>
internal static class StandardError
{
    public static readonly TextWriter Writer = Open(2);

    public static readonly TextWriter Output = Open(1);

    private static TextWriter Open(int fd)
    {
        return TextWriter.Synchronized(new StreamWriter(new DescriptorStream(fd), new UTF8Encoding(false)) { AutoFlush = true });
    }
}
