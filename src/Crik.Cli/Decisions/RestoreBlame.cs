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
    /// system), or it would not let CRIU trace the restored processes. The checkpoint stays for another pod, the
    /// attempt does not count, and onRestoreFailure applies.
    /// </summary>
    Node,

    /// <summary>
    /// Nobody's that anyone can show: crik's fill of the app's memory failed on this node without proof against the
    /// checkpoint (a copy the kernel refused, as under the pod's memory limit; CRIU late handing the memory over). The
    /// checkpoint stays and onRestoreFailure applies, but the attempt counts against restoreAttempts: a failure that
    /// repeats on every pod ends with the checkpoint set aside, never in a loop.
    /// </summary>
    Unproven,

    /// <summary>
    /// crik's own: its code threw what nobody expected (a bug), which proves nothing of the checkpoint. The checkpoint
    /// stays for the next pod, the attempt does not count, and crik starts nothing and exits 125 whatever
    /// onRestoreFailure says: a fresh start would give up the checkpoint's work over crik's bug.
    /// </summary>
    Crik,
}

/// <summary>Who a failed restore blames (<see cref="RestoreBlame"/>).</summary>
internal static class RestoreBlames
{
    private const int NoSpace = 28, ReadOnly = 30, QuotaExceeded = 122; // ENOSPC, EROFS, EDQUOT

    private const string ReadOnlyWords = "Read-only file system";

    /// <summary>CRIU's words (strerror) for the same errors, in the first error line of its log.</summary>
    private static readonly string[] NoRoomWords = ["No space left on device", ReadOnlyWords, "Disk quota exceeded"];

    /// <summary>
    /// A failed read or write. Only proof sets a checkpoint aside: a failure of crik's own code says nothing of it, and
    /// neither does a store that may answer later or a node without room.
    /// </summary>
    /// <param name="criksOwn">crik's own code failed in a way nobody expected, not a read or a write.</param>
    /// <param name="storeMayAnswerLater">The failure was a read the store may take back.</param>
    /// <param name="errno">The error number of the call that failed; 0 when none is known.</param>
    public static RestoreBlame Of(bool criksOwn, bool storeMayAnswerLater, int errno) =>
        criksOwn ? RestoreBlame.Crik
        : storeMayAnswerLater ? RestoreBlame.Store
        : errno is NoSpace or ReadOnly or QuotaExceeded ? RestoreBlame.Node
        : RestoreBlame.Checkpoint;

    /// <summary>
    /// A saved file refused at the app's path as it was put back (a link or a file on the way, an owner refused): the paths of
    /// this pod, not the checkpoint, whose copies were read whole. The node's when it had no room; else
    /// <see cref="RestoreBlame.Unproven"/>, so that a refusal every pod meets still ends.
    /// </summary>
    public static RestoreBlame OfAppsPaths(int errno) => errno is NoSpace or ReadOnly or QuotaExceeded ? RestoreBlame.Node : RestoreBlame.Unproven;

    /// <summary>How the reason of a restore that could not put additionalPaths back begins.</summary>
    public const string PutBackFailed = "cannot put back additionalPaths";

    /// <summary>What a fill failure that proves nothing of the checkpoint says after its reason (<see cref="OfFill"/>).</summary>
    public const string NotTheCheckpoints = "; nothing shows the checkpoint damaged";

    /// <summary>
    /// crik's fill of a stopped app's memory that failed before the app ran. Only proof (a chunk that does not read back
    /// whole, images that do not line up) is the checkpoint's: the fill failing otherwise (a copy into the app's memory
    /// refused, CRIU late handing the memory over) is <see cref="RestoreBlame.Unproven"/>.
    /// </summary>
    public static RestoreBlame OfFill(bool criksOwn, bool storeMayAnswerLater, bool proven) =>
        criksOwn ? RestoreBlame.Crik
        : storeMayAnswerLater ? RestoreBlame.Store
        : proven ? RestoreBlame.Checkpoint
        : RestoreBlame.Unproven;

    /// <summary>
    /// A criu restore that failed, by its first error: the node's when it had no room for a file it writes (a deleted
    /// file the app held open, say), when it refused CRIU a trace of a restored process, or when another process held
    /// an ID CRIU gives back (EEXIST): no checkpoint can cause those.
    /// </summary>
    public static RestoreBlame OfCriu(string firstError) =>
        NoRoom(firstError) || RefusedTracing(firstError) || IdHeld(firstError) ? RestoreBlame.Node : RestoreBlame.Checkpoint;

    /// <summary>Whether an error's words say a write found no room: a full disk or quota, or a read-only file system.</summary>
    public static bool NoRoom(string error) => NoRoomWords.Any(w => error.Contains(w, StringComparison.Ordinal));

    /// <summary>Whether an error's words say the file system is mounted read-only: no room is made by freeing space there.</summary>
    public static bool ReadOnlyFileSystem(string error) => error.Contains(ReadOnlyWords, StringComparison.Ordinal);

    /// <summary>For a restore blamed on this node, from what stopped it: what the node lacks, and what to do about it.</summary>
    public static (string Lacks, string Fix) OfNode(string why) =>
        RefusedTracing(why) ? ("does not let CRIU trace the restored processes",
            "let it trace them on this node (nothing else may trace them, such as a debugger or strace, and kernel.yama.ptrace_scope must be below 3)")
        : why.StartsWith(PidsInUse.AboveLimit, StringComparison.Ordinal) ? ("cannot give back the IDs the app's processes and threads had",
            "raise kernel.pid_max on this node above them (sysctl -w kernel.pid_max=4194304, the most it can be), or run crik where it may raise it (a privileged container)")
        : IdHeld(why) || why.StartsWith(PidsInUse.Held, StringComparison.Ordinal) ? ("holds an ID the app's processes or threads need",
            "let crik be the container's PID 1 in a PID namespace of its own (no shareProcessNamespace), so that nothing else takes the app's IDs")
        : why.EndsWith(NotTheCheckpoints, StringComparison.Ordinal) && why.StartsWith(PutBackFailed, StringComparison.Ordinal)
            ? ("could not put a saved file back at its path", "mend the path the reason names (a file where a directory was, a link on the way, an owner its file system refuses)")
        : why.EndsWith(NotTheCheckpoints, StringComparison.Ordinal) ? ("could not fill the app's memory",
            "look at the reason (the pod's memory limit, a node short of CPU)")
        : ("has no room for what the restore writes", "free space where the error says (the node's disk, the pod's ephemeral storage or the volume)");

    /// <summary>CRIU's words when an ID it gives back to a process or thread was held (EEXIST from clone3's set_tid).</summary>
    private static bool IdHeld(string error) =>
        error.Contains("Unable to create a thread: -17", StringComparison.Ordinal)
        || (error.Contains("Can't fork for", StringComparison.Ordinal) && error.Contains("File exists", StringComparison.Ordinal));

    /// <summary>CRIU's words when the kernel refused it a ptrace of a process it restored (EPERM).</summary>
    private static bool RefusedTracing(string error) =>
        (error.Contains("Can't attach to", StringComparison.Ordinal) || error.Contains("Can't seize", StringComparison.Ordinal))
        && error.Contains("Operation not permitted", StringComparison.Ordinal);
}
