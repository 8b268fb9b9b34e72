using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Interop;
using Crik.Cli.Records;

namespace Crik.Cli.ImageStore;

/// <summary>
/// What deleting a generation means, decided once for both backends: its manifest first (a
/// half-deleted generation is then never mistaken for whole), then whatever else is below its
/// location: on a volume its directory, deleted with everything in it at once; in object storage,
/// where a location is only a prefix, each object listed under it (manifest.hmac, the set-aside reason).
/// </summary>
internal static class GenerationDeletion
{
    public static void Delete(IStoreBackend backend, string location)
    {
        string manifest = $"{location}/{Manifest.FileName}";
        if (backend.HasDirectories)
        {
            try
            {
                backend.Delete(manifest);
            }
            catch (UnsafeEntryException)
            {
                // A link or a file planted where the generation's directory was: no manifest below it to delete first.
            }
            backend.Delete(location);
            return;
        }
        backend.Delete(manifest);
        foreach (StoredEntry entry in backend.List(location + "/"))
        {
            backend.Delete(entry.Key);
        }
    }
}
