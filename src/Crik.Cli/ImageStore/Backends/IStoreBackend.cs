using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Crik.Cli.Model;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// The storage primitives under <see cref="GenerationStore"/>: a volume (<see cref="VolumeBackend"/>)
/// or object storage (<see cref="ObjectBackend"/>). A backend reads, writes, moves and deletes what it
/// is told to, durably and without following links; it decides nothing about generations (which to
/// restore, retire, set aside or delete is the store's). A location is a generation's name relative
/// to the image directory: <c>checkpoint-000007</c>, <c>retired/checkpoint-000007</c> or
/// <c>set-aside/checkpoint-000007-20261123T100000Z</c>.
/// </summary>
internal interface IStoreBackend : IDisposable
{
    /// <summary>Where the generations are, for messages: a path or an s3:// address.</summary>
    string ImageDir { get; }

    /// <summary>A location (or any name below the image directory) as a path or address, for messages.</summary>
    string Display(string location);

    /// <summary>How long the lock of a crik that died can still keep others out: none on a volume (flock ends with its process), a lease's lifetime in object storage.</summary>
    TimeSpan DeadHolderLockTime { get; }

    /// <summary>The image directory's lock, or null when another holder kept it for all of <paramref name="timeout"/>.</summary>
    /// <param name="stillWaiting">Called every few seconds while another holder keeps it.</param>
    IStoreLock? TryLock(TimeSpan timeout, Action? stillWaiting = null);

    /// <summary>From now on no write or delete is sent, nor retried, once <paramref name="held"/> is lost (object storage; a flock cannot be lost).</summary>
    void FenceWith(IStoreLock held);

    /// <summary>Until disposed, requests give up once <paramref name="limit"/> has passed (object storage; a volume has none).</summary>
    IDisposable Within(TimeSpan limit);

    /// <summary>True for an error that says nothing about the entry read (a store that did not answer): it must not count against a generation.</summary>
    bool IsTransient(IOException error);

    /// <summary>Everything below the image directory that names a generation, a pack, a log or a restore mark, in one listing.</summary>
    StoreListing List();

    /// <summary>A small file of a generation (its manifest, manifest.hmac), at most <paramref name="max"/> bytes + 1; null when absent.</summary>
    byte[]? ReadFile(string location, string name, long max);

    /// <summary>Why the generation at <paramref name="location"/> must not be handed to CRIU whatever its manifest says (a volume's ownership rules), or null.</summary>
    string? Untrusted(string location);

    /// <summary>Null when everything <paramref name="manifest"/> lists is there (and, with <paramref name="readChunks"/>, reads back whole).</summary>
    string? VerifyContents(string location, Manifest manifest, PackReader packs, bool readChunks = false);

    /// <summary>Moves a generation, durably: once this returns it is at <paramref name="to"/> and no longer at <paramref name="from"/>.</summary>
    void Move(string from, string to);

    /// <summary>Moves a generation below set-aside/ under a free name made from <paramref name="name"/>, with <paramref name="reason"/> beside it; returns where it went.</summary>
    string MoveToSetAside(string from, string name, string reason);

    void DeleteGeneration(string location);

    void DeletePack(long generation);

    /// <summary>Deletes a CRIU log in logs/ (never following a link planted there).</summary>
    void DeleteLog(string name);

    /// <summary>Writes a new restore mark (restores/NAME), durably; false when one of that name exists.</summary>
    bool WriteMark(string name, string content);

    string? ReadMark(string name);

    void DeleteMark(string name);

    /// <summary>Drops what a writer that died left unfinished and that nobody can finish (object storage's stale uploads).</summary>
    void DropAbandonedWrites();

    /// <summary>A new staging area for <paramref name="generation"/>, with its pack (reusing <paramref name="known"/>).</summary>
    StagingCheckpoint BeginStaging(long generation, Dictionary<string, ChunkRef> known, ChunkCodec codec);

    /// <summary>Removes a staging area whose dump will not be committed, keeping CRIU's log.</summary>
    void Abandon(StagingCheckpoint staging);

    /// <summary>
    /// Everything of a staged dump but its manifest goes to stable storage: CRIU's log, the pack, the
    /// files CRIU and crik left beside it. Returns those files as the manifest lists them, and the
    /// bytes written for this generation.
    /// </summary>
    (List<ManifestFile> Files, long WrittenBytes) Seal(StagingCheckpoint staging, ChunkCodec codec);

    /// <summary>
    /// Makes the staged generation visible as <paramref name="name"/> with its manifest, written last:
    /// the commit point. <paramref name="whyNot"/> is asked just before it; a reason abandons the commit
    /// (this throws). Throws only when the generation is not committed.
    /// </summary>
    void Publish(StagingCheckpoint staging, string name, byte[] manifest, string? mac, Func<string?> whyNot);

    /// <summary>
    /// A restore of the generation at <paramref name="location"/>: a fresh private work directory for
    /// CRIU (its log, pid file, statistics and the image streamer's socket), never the generation's own.
    /// </summary>
    RestoreAttempt OpenRestore(CommittedCheckpoint checkpoint, string location, string logName);

    /// <summary>Moves CRIU's log (and what criu printed) from a work directory into logs/; failures are warnings.</summary>
    void KeepCriuLog(DirectoryHandle workDir, string logName);

    PackReader OpenPackReader(ChunkCodec codec);
}
