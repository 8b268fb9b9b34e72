namespace Crik.Cli.Decisions;

/// <summary>How a dump's staging area is committed: by renaming it (a store with directories), or by writing its manifest last (object storage).</summary>
internal enum StagingCommit
{
    /// <summary>The staging directory is renamed to the generation's name: the rename is done or not, and crik knows which.</summary>
    Rename,

    /// <summary>The manifest is written, only if absent, after everything else: a write that seemed to fail may have landed all the same.</summary>
    ManifestWrittenLast,
}

/// <summary>What becomes of an abandoned dump's pack.</summary>
internal enum AbandonedPack
{
    /// <summary>Its upload never completed: dropped, so that nothing of it stays.</summary>
    Abort,

    /// <summary>Complete, and certainly part of no generation: deleted at once.</summary>
    Delete,

    /// <summary>Complete, and maybe part of a committed generation: kept until a later commit's clean-up, which deletes it if no generation uses it.</summary>
    Keep,
}

/// <summary>The rules of a dump's staging area that differ with how it is committed.</summary>
internal static class StagedDump
{
    /// <summary>
    /// A pack whose upload completed stays when the commit is a manifest written last: the manifest may have reached the
    /// store even though its write seemed to fail. Where the commit is a rename, a commit that failed did not happen.
    /// </summary>
    public static AbandonedPack WhenAbandoned(StagingCommit commit, bool packCompleted) =>
        !packCompleted ? AbandonedPack.Abort : commit == StagingCommit.Rename ? AbandonedPack.Delete : AbandonedPack.Keep;

    /// <summary>
    /// Whether the files staged beside the images (additionalPaths, carried files, CRIU's stats) are sealed into chunks
    /// of the pack rather than kept as files in the generation: always when the commit writes only a manifest (nothing
    /// else of a generation goes to object storage), and when encrypted, so that nothing of the app's lies in the store in plaintext.
    /// </summary>
    public static bool SealsFilesIntoChunks(StagingCommit commit, bool encrypted) => commit == StagingCommit.ManifestWrittenLast || encrypted;
}
