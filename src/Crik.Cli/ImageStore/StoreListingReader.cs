using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Interop;
using Crik.Cli.Model;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>Lists what a backend holds and reads it with the one parser of the layout (<see cref="StoreLayout.Parse"/>).</summary>
internal static class StoreListingReader
{
    /// <summary>
    /// Everything below the image directory that names a generation, a pack, a log or a restore mark.
    /// A backend that lists one directory at a time (a volume) is listed in crik's own directories too.
    /// </summary>
    public static StoreListing ReadListing(this IStoreBackend backend, ILogger log)
    {
        List<StoredEntry> entries = backend.List("");
        var directories = entries.Where(e => e.Kind == FileKind.Directory).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        foreach (string directory in StoreLayout.ListedDirs.Where(directories.Contains))
        {
            entries.AddRange(backend.List(directory + "/"));
        }
        if (directories.Contains(StoreLayout.LogDir))
        {
            entries.AddRange(ListLogs(backend, log));
        }
        StoreListing listing = StoreLayout.Parse(entries, out List<StoredEntry> ignored);
        foreach (StoredEntry entry in ignored)
        {
            log.Warning("Ignoring {Path}: it is {Kind}, not a directory crik made; crik never follows links in its image directory",
                PathOf(backend, entry.Key), DirectoryHandle.Describe(entry.Kind));
        }
        return listing;
    }

    /// <summary>Logs are only pruned: a logs/ crik cannot read is a warning, never a failed listing.</summary>
    private static List<StoredEntry> ListLogs(IStoreBackend backend, ILogger log)
    {
        try
        {
            return backend.List(StoreLayout.LogDir + "/");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("Cannot list CRIU's logs in {Dir} ({Error}); old logs are not pruned", Path.Combine(backend.ImageDir, StoreLayout.LogDir), e.Message);
            return [];
        }
    }

    private static string PathOf(IStoreBackend backend, string key) => backend.ImageDir.EndsWith('/') ? backend.ImageDir + key : $"{backend.ImageDir}/{key}";
}
