using Crik.Cli.Chunks;
using Crik.Cli.Decisions;
using Crik.Cli.Interop;
using Crik.Cli.Model;
using Crik.Cli.ObjectStorage;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore.Backends;

// A dump's multipart upload and scratch directory, its commit by writing the manifest last, and the
// scratch directory of a restore.
internal sealed partial class ObjectBackend
{
    public StagingCheckpoint BeginStaging(long generation, Dictionary<string, ChunkRef> known, ChunkCodec codec)
    {
        ScratchDirectory scratch = ScratchDirectory.Create($"crik-dump-{generation:D6}", fallbackParent: null);
        try
        {
            var upload = new S3PackUpload(s3, PackKey(generation));
            var pack = new PackWriter(generation, upload, known, codec);
            var staging = new ObjectStaging(this, generation, StoreLayout.StagingName(generation), scratch.Directory.OpenOrCreateDirectory("."),
                s3.Display(LogKey(StoreLayout.DumpLogName(generation))), pack);
            lock (_staging)
            {
                _staging[generation] = (scratch, upload);
            }
            return staging;
        }
        catch
        {
            scratch.Dispose();
            throw;
        }
    }

    private void Abandon(StagingCheckpoint staging)
    {
        // CRIU's log of a failed dump is worth a few seconds more, even past the checkpoint's budget.
        using IDisposable grace = s3.Within(AbandonGrace);
        KeepCriuLog(staging.Directory, staging.Criu.LogName);
        (ScratchDirectory? scratch, S3PackUpload? upload) = TakeStaging(staging.Generation);
        // A pack whose upload completed stays until a later commit's clean-up: the manifest may have
        // reached the store even though its write seemed to fail (on a volume, where the commit is a rename, it always goes).
        if (upload is not null && !upload.Completed && !upload.Abort())
        {
            log.Debug("The store could not abort the upload of {Pack}; its lifecycle rule will drop the parts", s3.Display(PackKey(staging.Generation)));
        }
        staging.Dispose();
        scratch?.Dispose();
    }

    /// <summary>Seals carried files and CRIU's stats into chunks (nothing else of a generation goes to the store), then completes the pack's upload.</summary>
    private (List<ManifestFile> Files, long WrittenBytes) Seal(StagingCheckpoint staging)
    {
        (_, S3PackUpload upload) = PeekStaging(staging.Generation);
        List<ManifestFile> sealedFiles = StagedFiles.Seal(staging.Directory, staging.Pack);
        upload.Complete();
        return (sealedFiles, staging.Pack.WrittenBytes);
    }

    private void Publish(StagingCheckpoint staging, string name, byte[] manifest, string? mac, Func<string?> whyNot)
    {
        if (whyNot() is { } reason)
        {
            throw new IOException(reason);
        }
        byte[]? macBody = mac is null ? null : System.Text.Encoding.ASCII.GetBytes(mac + "\n");
        if (macBody is not null && s3.PutIfAbsent(name + MacObject, macBody) is null && StoredIs(name + MacObject, macBody) == false)
        {
            throw AnotherCommitted(staging.Generation, name + MacObject);
        }
        PutManifest(name + ManifestObject, manifest, staging.Generation);
        (ScratchDirectory? scratch, _) = TakeStaging(staging.Generation);
        scratch?.Dispose();
    }

    /// <summary>Nothing is on the node: CRIU reads every image from crik's image streamer.</summary>
    public DirectoryHandle? OpenLocalDirectory(string key) => null;

    /// <summary>Uploads the file (CRIU's log, at most 64 MiB of it); the caller deletes it.</summary>
    public bool PutLocalFile(DirectoryHandle directory, string name, SafeFileHandle file, string key)
    {
        s3.Put(key, FileContents.Read(file, 64L << 20));
        return false;
    }

    /// <summary>Keeps CRIU's log of a dump in logs/ (<see cref="CriuLogs"/>).</summary>
    private void KeepCriuLog(DirectoryHandle workDir, string logName) => CriuLogs.Keep(this, log, workDir, logName);

    /// <summary>
    /// Writes the manifest, only if there is none (<c>If-None-Match</c>): the commit point. A stale
    /// crik (its lease lost, a request of its own landing late) never replaces a committed generation's.
    /// A request whose answer was lost (or that the store failed with a 5xx) may have been carried out
    /// all the same, so crik then reads the manifest back, with a few seconds of its own; a manifest
    /// found there is ours only if byte-identical, else another crik committed this generation (this
    /// throws). Absent, it is not a commit (this throws). When crik cannot tell, it takes it as a commit:
    /// the app, stopped for it, must not run on while the next pod may restore it. A refusal (4xx) is an
    /// answer: the manifest is not there.
    /// </summary>
    private void PutManifest(string key, byte[] json, long generation)
    {
        S3Exception? lost = null;
        try
        {
            if (s3.PutIfAbsent(key, json) is not null)
            {
                return;
            }
        }
        catch (S3Exception e) when (e.Status is 0 or >= 500)
        {
            lost = e;
        }
        switch (CommitAnswer.Of(requestFailed: lost is not null, StoredIs(key, json)))
        {
            case CommitMeaning.Committed:
                log.Warning("The store's answer to the manifest {Key} was lost ({Error}), but the store holds it: the checkpoint is committed",
                    s3.Display(key), lost?.Message ?? "a retry found it there");
                return;
            case CommitMeaning.NotCommitted:
                throw lost!;
            case CommitMeaning.Superseded:
                throw AnotherCommitted(generation, key);
            default:
                log.Error("crik cannot tell whether the store holds the manifest {Key} ({Error}). It takes the checkpoint as committed, so that "
                    + "the app never runs twice: the next pod restores it if the store has it, else the newest one before it",
                    s3.Display(key), lost?.Message ?? "the store has one, and did not say whose");
                return;
        }
    }

    /// <summary>Whether the store holds exactly <paramref name="body"/> at <paramref name="key"/>, asked with a few seconds of its own; null when it cannot tell.</summary>
    private bool? StoredIs(string key, byte[] body)
    {
        try
        {
            using IDisposable grace = s3.Within(ManifestConfirmGrace);
            return s3.TryGet(key) is { } stored && stored.AsSpan().SequenceEqual(body);
        }
        catch (S3Exception)
        {
            return null;
        }
    }

    private SupersededException AnotherCommitted(long generation, string key) =>
        new($"another crik committed generation {generation} ({s3.Display(key)} is not the one this crik wrote), so this checkpoint is not committed");

    private (ScratchDirectory Scratch, S3PackUpload Upload) PeekStaging(long generation)
    {
        lock (_staging)
        {
            return _staging[generation];
        }
    }

    private (ScratchDirectory? Scratch, S3PackUpload? Upload) TakeStaging(long generation)
    {
        lock (_staging)
        {
            return _staging.Remove(generation, out var staging) ? staging : (null, null);
        }
    }

    /// <summary>A dump's scratch directory on the node and its pack's multipart upload, committed by writing the manifest last.</summary>
    private sealed class ObjectStaging(ObjectBackend store, long generation, string name, DirectoryHandle directory, string logPath, PackWriter pack)
        : StagingCheckpoint(generation, name, directory, logPath, pack)
    {
        public override (List<ManifestFile> Files, long WrittenBytes) Seal(ChunkCodec codec) => store.Seal(this);

        public override void Publish(string committedName, byte[] manifest, string? mac, Func<string?> whyNot) =>
            store.Publish(this, committedName, manifest, mac, whyNot);

        public override void Abandon() => store.Abandon(this);

        public override void KeepLog() => store.KeepCriuLog(Directory, Criu.LogName);
    }
}
