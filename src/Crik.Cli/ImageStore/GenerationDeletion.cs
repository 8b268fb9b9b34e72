using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Model;

namespace Crik.Cli.ImageStore;

/// <summary>
/// What deleting a generation means, decided once for both backends: its manifest first (a
/// half-deleted generation is then never mistaken for whole), then whatever else is below its
/// location (manifest.hmac, the set-aside reason, a volume's files), then the location itself (a
/// volume's directory; in object storage a key nothing is stored at).
/// </summary>
internal static class GenerationDeletion
{
    public static void Delete(IStoreBackend backend, string location)
    {
        string manifest = $"{location}/{Manifest.FileName}";
        foreach (StoredEntry entry in backend.List(location + "/").OrderBy(e => e.Key == manifest ? 0 : 1))
        {
            backend.Delete(entry.Key);
        }
        backend.Delete(location);
    }
}
