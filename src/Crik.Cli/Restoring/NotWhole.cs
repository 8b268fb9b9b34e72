using Crik.Cli.Chunks;
using Crik.Cli.Decisions;
using Crik.Cli.Interop;

namespace Crik.Cli.Restoring;

/// <summary>
/// Why the app's images or memory did not all arrive for a restore, and whose fault that is (<see cref="RestoreBlame"/>):
/// only the checkpoint's own sets it aside.
/// </summary>
internal sealed record NotWhole(string Why, RestoreBlame Blame)
{
    /// <summary>crik's own failure when <paramref name="criksOwn"/>; else one of reads the store may take back when <paramref name="storeAway"/>, else the checkpoint's.</summary>
    public NotWhole(string why, bool storeAway, bool criksOwn) : this(why, RestoreBlames.Of(criksOwn, storeAway, errno: 0))
    {
    }

    /// <summary>crik's fill failed before the app ran (<see cref="RestoreBlames.OfFill"/>): the checkpoint's only when <paramref name="proven"/>.</summary>
    public static NotWhole OfFill(string why, bool storeAway, bool criksOwn, bool proven) =>
        Saying(why, RestoreBlames.OfFill(criksOwn, storeAway, proven));

    /// <summary>
    /// A saved file that could not be put back at the app's path (<see cref="RestoreBlames.OfAppsPaths"/>): the node's when it had no
    /// room, else nothing shows the checkpoint damaged.
    /// </summary>
    public static NotWhole AtTheAppsPaths(string why, int errno) => Saying(why, RestoreBlames.OfAppsPaths(errno));

    /// <summary>The failure with its blame; one <see cref="RestoreBlame.Unproven"/> says so after its reason, as the node's line reads it.</summary>
    private static NotWhole Saying(string why, RestoreBlame blame) =>
        new(blame == RestoreBlame.Unproven ? why + RestoreBlames.NotTheCheckpoints : why, blame);

    /// <summary>
    /// A failure that <paramref name="e"/> caused (<see cref="ReadFailures.Classify"/>): crik's own when no read or write throws it,
    /// the store's if it may take it back, this node's when it had no room or no /tmp, else the checkpoint's.
    /// </summary>
    public static NotWhole Of(string why, Exception e)
    {
        if (e is NoScratchDirectoryException)
        {
            return new(why, RestoreBlame.Node); // the node's /tmp, whatever its errno says
        }
        ReadFailure failure = ReadFailures.Classify(e);
        return new(why, RestoreBlames.Of(failure == ReadFailure.CriksOwn, failure == ReadFailure.Transient, e is IOException io ? io.HResult : 0));
    }
}
