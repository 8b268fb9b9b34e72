using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Records;

namespace Crik.Cli.ImageStore;

/// <summary>
/// What moving a generation (or an unfinished staging area) to retired/ or set-aside/ means, decided once for both
/// backends: on a volume one rename of its directory, with everything in it, atomic; in object storage, where a
/// location is only a prefix, its manifest.hmac and its manifest one object at a time. Its chunks are in packs/, and stay.
/// </summary>
internal static class GenerationMove
{
    public static void Move(IStoreBackend backend, string from, string to)
    {
        if (backend.HasDirectories)
        {
            backend.Move(from, to);
            return;
        }
        // The order makes every crash leave something the listing reads right:
        // - the MAC is copied before the manifest, so a manifest is never at `to` without its MAC. A crash after the
        //   MAC's copy leaves a lone MAC at `to`, which names no generation; one after the manifest's copy leaves the
        //   generation whole in both places, which the listing counts as moved (StoreListing.Settled) and the next
        //   look finishes.
        // - the manifest is deleted before the MAC, so what is left at `from` is never a manifest without its MAC, which
        //   would look committed and fail its authentication; a lone MAC names nothing.
        // Each request is its own call, sent again on its own when its answer is lost: a copy or a delete done twice is done.
        // A move sent again as a whole would find its source deleted by the first one, and take the generation for gone.
        string mac = $"/{Manifest.MacFileName}", manifest = $"/{Manifest.FileName}";
        bool hasMac = backend.Copy(from + mac, to + mac);
        if (!backend.Copy(from + manifest, to + manifest))
        {
            throw new IOException($"{backend.ImageDir.TrimEnd('/')}/{from}{manifest} vanished before crik could move it");
        }
        backend.Delete(from + manifest);
        if (hasMac)
        {
            backend.Delete(from + mac);
        }
    }
}
