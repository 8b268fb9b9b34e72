namespace Crik.Cli.Decisions;

/// <summary>Whose fault a restore that stopped before the app ran is, and so what becomes of its checkpoint.</summary>
internal enum RestoreBlame
{
    /// <summary>The checkpoint's (a damaged chunk, images CRIU refuses): it is set aside, and onRestoreFailure applies.</summary>
    Checkpoint,

    /// <summary>The image store's: it did not answer, and may later. The checkpoint stays, and onStoreUnavailable applies.</summary>
    Store,

    /// <summary>
    /// This node's: it had no room for what the restore writes (its disk or a quota full, a read-only file
    /// system). The checkpoint stays for a pod that has room, the attempt does not count, and onRestoreFailure applies.
    /// </summary>
    Node,
}

/// <summary>Who a failed restore blames (<see cref="RestoreBlame"/>).</summary>
internal static class RestoreBlames
{
    private const int NoSpace = 28, ReadOnly = 30, QuotaExceeded = 122; // ENOSPC, EROFS, EDQUOT

    /// <summary>CRIU's words (strerror) for the same errors, in the first error line of its log.</summary>
    private static readonly string[] NoRoomWords = ["No space left on device", "Read-only file system", "Disk quota exceeded"];

    /// <param name="storeMayAnswerLater">The failure was a read the store may take back.</param>
    /// <param name="errno">The error number of the call that failed; 0 when none is known.</param>
    public static RestoreBlame Of(bool storeMayAnswerLater, int errno) =>
        storeMayAnswerLater ? RestoreBlame.Store
        : errno is NoSpace or ReadOnly or QuotaExceeded ? RestoreBlame.Node
        : RestoreBlame.Checkpoint;

    /// <summary>A criu restore that failed, by its first error: the node's when it had no room for a file it writes (a deleted file the app held open, say).</summary>
    public static RestoreBlame OfCriu(string firstError) =>
        NoRoomWords.Any(w => firstError.Contains(w, StringComparison.Ordinal)) ? RestoreBlame.Node : RestoreBlame.Checkpoint;
}
