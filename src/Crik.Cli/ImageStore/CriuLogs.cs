using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Interop;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>Keeping CRIU's log of a dump or restore in the store's logs/, the same for every backend.</summary>
internal static class CriuLogs
{
    /// <summary>
    /// Puts CRIU's log (and what criu printed, if anything) in <paramref name="workDir"/> into the store's logs/
    /// (<see cref="INodeDirectories.PutLocalFile"/>), then deletes it there unless the backend moved it away itself.
    /// Failures are warnings.
    /// </summary>
    public static void Keep(StoreStack store, ILogger log, DirectoryHandle workDir, string logName)
    {
        foreach (string name in new[] { logName, logName + ".out" })
        {
            try
            {
                using (var source = workDir.TryOpenFile(name))
                {
                    if (source is null || store.Node.PutLocalFile(workDir, name, source, $"{StoreLayout.LogDir}/{name}"))
                    {
                        continue;
                    }
                }
                workDir.DeleteFile(name);
            }
            catch (IOException e)
            {
                log.Warning("Could not keep CRIU's log {Name} in {Dir}: {Error}", name, $"{store.Top.ImageDir.TrimEnd('/')}/{StoreLayout.LogDir}/", e.Message);
            }
        }
    }
}
