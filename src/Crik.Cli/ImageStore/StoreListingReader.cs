using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Interop;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>Lists what a backend holds and reads it with the one parser of the layout (<see cref="StoreListingParser.Parse"/>).</summary>
internal static class StoreListingReader
{
    /// <summary>
    /// Everything below the image directory that names a generation, a pack, a log or a restore mark, in one
    /// listing: a backend that lists one directory at a time (a volume) lists crik's own directories with it.
    /// </summary>
    public static StoreListing ReadListing(this IStoreBackend backend, ILogger log)
    {
        StoreListing listing = StoreListingParser.Parse(ListEntries(backend, log), out List<StoredEntry> ignored);
        foreach (StoredEntry entry in ignored)
        {
            log.Warning("Ignoring {Path}: it is {Kind}, not a {Made} crik made; crik never follows links in its image directory",
                PathOf(backend, entry.Key), DirectoryHandle.Describe(entry.Kind), entry.Parts[0] == StoreLayout.RestoresDir ? "file" : "directory");
        }
        return listing;
    }

    /// <summary>Logs are only pruned: a volume's logs/ that crik cannot read is a warning, never a failed listing.</summary>
    private static List<StoredEntry> ListEntries(IStoreBackend backend, ILogger log)
    {
        string[] crikDirs = ["", .. StoreLayout.ListedDirs.Select(d => d + "/")];
        try
        {
            return backend.List([.. crikDirs, StoreLayout.LogDir + "/"]);
        }
        catch (Exception e) when (backend.HasDirectories && e is IOException or UnauthorizedAccessException)
        {
            List<StoredEntry> withoutLogs = backend.List(crikDirs); // when this fails too, the listing does
            log.Warning("Cannot list CRIU's logs in {Dir} ({Error}); old logs are not pruned", Path.Combine(backend.ImageDir, StoreLayout.LogDir), e.Message);
            return withoutLogs;
        }
    }

    private static string PathOf(IStoreBackend backend, string key) => backend.ImageDir.EndsWith('/') ? backend.ImageDir + key : $"{backend.ImageDir}/{key}";
}
