using Crik.Cli.Chunks;

namespace Crik.Cli.Restoring;

/// <summary>
/// Why the app's images or memory did not all arrive for a restore, and whether a read failed because the
/// image store did not answer (<see cref="StoreAway"/>). That says nothing of the checkpoint: it is not set
/// aside for it, and onStoreUnavailable applies instead of onRestoreFailure.
/// </summary>
internal sealed record NotWhole(string Why, bool StoreAway)
{
    /// <summary>A failure that <paramref name="e"/> caused: the store's if it may take it back (<see cref="ReadFailures.Classify"/>).</summary>
    public static NotWhole Of(string why, Exception e) => new(why, ReadFailures.Classify(e) == ReadFailure.Transient);
}
