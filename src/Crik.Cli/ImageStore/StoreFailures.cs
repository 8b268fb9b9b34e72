using Crik.Cli.Chunks;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.ObjectStorage;

namespace Crik.Cli.ImageStore;

/// <summary>
/// What a store's failure says, for those who decide on it. Object storage's requests fail in ways a volume's calls never do (no
/// answer, not in time, a 5xx); a network volume (NFS, a CSI driver's FUSE mount) fails with the errnos of a server or network
/// away for a while (<see cref="ReadFailures"/>), which say no more of the entry than a store's timeout does.
/// </summary>
internal static class StoreFailures
{
    /// <summary>A failure that says nothing of the entry: the store did not answer, or not in time, or the volume's server is away.</summary>
    public static bool SaysNothingOfTheEntry(IOException e) =>
        e is S3Exception or PackUnavailableException or OutOfTimeException || ReadFailures.Classify(e) == ReadFailure.Transient;

    /// <summary>
    /// A failed write that may have been carried out all the same: no answer came, the store failed (a 5xx), or it met a
    /// conditional write to the same object under way, which may be an earlier attempt of its own whose answer was lost.
    /// </summary>
    public static bool MayHaveLanded(IOException e) => e is S3Exception { Status: 0 or >= 500 } or S3Exception { Code: S3RetryPolicy.ConditionalConflict };
}
