using Crik.Cli.Chunks;
using Crik.Cli.Decisions;

namespace Crik.Cli.Restoring;

/// <summary>
/// Why the app's images or memory did not all arrive for a restore, and whose fault that is (<see cref="RestoreBlame"/>):
/// only the checkpoint's own sets it aside.
/// </summary>
internal sealed record NotWhole(string Why, RestoreBlame Blame)
{
    /// <summary>A failure of reads the store may take back when <paramref name="storeAway"/>, else the checkpoint's.</summary>
    public NotWhole(string why, bool storeAway) : this(why, storeAway ? RestoreBlame.Store : RestoreBlame.Checkpoint)
    {
    }

    /// <summary>A failure that <paramref name="e"/> caused: the store's if it may take it back (<see cref="ReadFailures.Classify"/>), this node's when it had no room.</summary>
    public static NotWhole Of(string why, Exception e) =>
        new(why, RestoreBlames.Of(ReadFailures.Classify(e) == ReadFailure.Transient, e is IOException io ? io.HResult : 0));
}
