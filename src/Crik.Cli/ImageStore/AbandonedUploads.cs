using Crik.Cli.Decisions;
using Crik.Cli.ImageStore.Backends;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Drops the uploads of packs that no crik will complete (a pod killed mid-dump), once they are old enough
/// (<see cref="AbandonedUpload"/>), whatever the backend: a store that cannot list them relies on its lifecycle rule,
/// and a volume has none (what a killed dump left there is a pack no manifest uses, which retention deletes).
/// </summary>
internal static class AbandonedUploads
{
    /// <summary>Run once the lock is held for the app's life: nobody else writes, so no upload under way is another crik's.</summary>
    public static void Drop(IStoreBackend backend, ILogger log, DateTimeOffset now)
    {
        try
        {
            foreach (UnfinishedUpload upload in backend.ListUnfinishedUploads(Records.StoreLayout.PacksDir + "/") ?? [])
            {
                if (AbandonedUpload.IsDropped(upload.Started, now))
                {
                    Abort(backend, upload, log);
                }
            }
        }
        catch (IOException e)
        {
            log.Warning("Could not clean up unfinished uploads in {Dir}: {Error}", backend.ImageDir, e.Message);
        }
    }

    /// <summary>One abort that fails does not keep the others from being tried.</summary>
    private static void Abort(IStoreBackend backend, UnfinishedUpload upload, ILogger log)
    {
        string display = $"{backend.ImageDir}/{upload.Key}";
        try
        {
            if (backend.AbortUpload(upload))
            {
                log.Information("Aborted an unfinished upload of {Pack} started {Initiated:u}", display, upload.Started);
            }
        }
        catch (IOException e)
        {
            log.Warning("Could not abort the unfinished upload {UploadId} of {Pack}: {Error}", upload.Id, display, e.Message);
        }
    }
}
