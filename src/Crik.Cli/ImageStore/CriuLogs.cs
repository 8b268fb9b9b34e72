using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore;

/// <summary>Keeping CRIU's log of a dump or restore in the store's logs/, the same for every backend.</summary>
internal static class CriuLogs
{
    /// <summary>
    /// Hands CRIU's log (and what criu printed, if anything) in <paramref name="workDir"/> to <paramref name="keep"/>,
    /// then deletes it there unless <paramref name="keep"/> moved it away itself (it returns true). Failures are warnings (<paramref name="warn"/>).
    /// </summary>
    public static void Keep(DirectoryHandle workDir, string logName, Func<DirectoryHandle, string, SafeFileHandle, bool> keep, Action<string, IOException> warn)
    {
        foreach (string name in new[] { logName, logName + ".out" })
        {
            try
            {
                using (var source = workDir.TryOpenFile(name))
                {
                    if (source is null || keep(workDir, name, source))
                    {
                        continue;
                    }
                }
                workDir.DeleteFile(name);
            }
            catch (IOException e)
            {
                warn(name, e);
            }
        }
    }
}
