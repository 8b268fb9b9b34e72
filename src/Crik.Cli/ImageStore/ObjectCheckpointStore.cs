using System.Text;
using System.Text.Json;
using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Crik.Cli.ObjectStorage;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Generations in object storage (<c>imageDir: s3://bucket/prefix</c>), laid out as on a volume:
/// <c>checkpoint-000007/manifest.json</c> (and <c>manifest.hmac</c>), <c>packs/000007.pack</c>,
/// <c>retired/…</c>, <c>set-aside/…</c> (with <c>SET-ASIDE-REASON.txt</c>) and CRIU's logs in
/// <c>logs/</c>. Nothing of a generation but chunks and its manifest goes to the store: carried
/// files and CRIU's stats are sealed into chunks too. CRIU works in a private scratch directory on
/// the node, which holds only the image streamer's socket and CRIU's log.
/// </summary>
/// <remarks>
/// The pack is uploaded while CRIU dumps (a multipart upload, invisible until complete), and the
/// manifest is written last, after the pack is complete: it is the commit point. A pod killed
/// before then leaves no manifest, so nothing half-done is ever restored; its pack, if it
/// completed, is deleted by a later commit's clean-up, and an unfinished upload is dropped by the
/// store (abort, or the bucket's lifecycle rule). Moving a generation (retiring it, setting it
/// aside) copies its manifest and then deletes the original: the committed manifest is gone before
/// CRIU runs, so a generation is restored at most once. Two pods sharing a prefix take turns through
/// a lease object (<c>.lock</c>, written only if absent) where the store has conditional writes.
/// </remarks>
internal sealed partial class ObjectCheckpointStore(S3Client s3, ILogger log, ChunkCodec? codec = null, TimeSpan? leaseLifetime = null) : ICheckpointStore
{
    private const string ManifestObject = "/" + Manifest.FileName;
    private const string MacObject = "/" + Manifest.MacFileName;

    private static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(3);

    /// <summary>How long crik asks whether a manifest whose PUT lost its answer reached the store.</summary>
    private static readonly TimeSpan ManifestConfirmGrace = TimeSpan.FromSeconds(3);

    private readonly ChunkCodec _codec = codec ?? ChunkCodec.Plain;
    private readonly Dictionary<long, (ScratchDirectory Scratch, S3PackUpload Upload)> _staging = [];
    private readonly Dictionary<RestoreAttempt, ScratchDirectory> _restoring = [];
    private volatile S3Lease? _lease;

    public string ImageDir => s3.Address.ToString().TrimEnd('/');

    public TimeSpan DeadHolderLockTime => leaseLifetime ?? S3Lease.DefaultLifetime;

    public IDisposable Within(TimeSpan limit) => s3.Within(limit);

    /// <summary>A lease on <c>.lock</c> (see <see cref="S3Lease"/>).</summary>
    public IDisposable? TryLock(TimeSpan timeout) => _lease = S3Lease.TryAcquire(s3, StoreLayout.LockFile, timeout, leaseLifetime, log);

    public StagingCheckpoint BeginCheckpoint()
    {
        Listing listing = List();
        long generation = listing.Newest + 1;
        Dictionary<string, ChunkRef> known = KnownChunks(listing);
        ScratchDirectory scratch = ScratchDirectory.Create($"crik-dump-{generation:D6}", fallbackParent: null);
        try
        {
            var upload = new S3PackUpload(s3, PackKey(generation));
            var pack = new PackWriter(generation, upload, known, _codec);
            var staging = new StagingCheckpoint(generation, StoreLayout.StagingName(generation), scratch.Directory.OpenOrCreateDirectory("."),
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

    public void Abandon(StagingCheckpoint staging)
    {
        // CRIU's log of a failed dump is worth a few seconds more, even past the checkpoint's budget.
        using IDisposable grace = s3.Within(AbandonGrace);
        KeepCriuLog(staging.Directory, staging.Criu.LogName);
        (ScratchDirectory? scratch, S3PackUpload? upload) = TakeStaging(staging.Generation);
        if (upload is not null && !upload.Completed && !upload.Abort())
        {
            log.Debug("The store could not abort the upload of {Pack}; its lifecycle rule will drop the parts", s3.Display(PackKey(staging.Generation)));
        }
        // A pack that completed stays until a later commit's clean-up: the manifest may have reached
        // the store even though its request seemed to fail.
        staging.Dispose();
        scratch?.Dispose();
    }

    public CommitResult Commit(StagingCheckpoint staging, Manifest manifest, int keep, Func<bool>? inTime = null)
    {
        KeepCriuLog(staging.Directory, staging.Criu.LogName);
        (_, S3PackUpload upload) = PeekStaging(staging.Generation);
        List<ManifestFile> sealedFiles = StagedFiles.Seal(staging.Directory, staging.Pack);
        upload.Complete();
        List<ManifestFile> files = [.. manifest.Files, .. sealedFiles];
        manifest = manifest with
        {
            Generation = staging.Generation,
            Files = files,
            ImageBytes = files.Sum(f => f.Size),
            WrittenBytes = staging.Pack.WrittenBytes,
            Compression = ChunkCodec.CodecName(_codec.Compression),
            KeyId = _codec.KeyId,
        };
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.Manifest);
        if (inTime is not null && !inTime())
        {
            throw new IOException("checkpointBudget ran out while the pack was being uploaded");
        }
        ThrowIfLeaseLost();
        string name = StoreLayout.CommittedName(manifest.Generation);
        if (_codec.ManifestMac(json) is { } mac)
        {
            s3.Put(name + MacObject, Encoding.ASCII.GetBytes(mac + "\n"));
        }
        PutManifest(name + ManifestObject, json);

        // The commit point has passed: from here on, failures are warnings.
        (ScratchDirectory? scratch, _) = TakeStaging(staging.Generation);
        staging.Dispose();
        scratch?.Dispose();
        var warnings = new List<string>();
        BestEffort(warnings, "clean up older checkpoints, packs and logs", () => CleanUp(manifest.Generation, keep, warnings));
        return new CommitResult(new CommittedCheckpoint(name, s3.Display(name), manifest), warnings);
    }

    public PackReader OpenPackReader() => new(generation => S3PackSource.TryOpen(s3, PackKey(generation)), _codec);

    public void Dispose()
    {
        lock (_staging)
        {
            foreach ((ScratchDirectory scratch, _) in _staging.Values)
            {
                scratch.Dispose();
            }
            _staging.Clear();
        }
        lock (_restoring)
        {
            foreach (ScratchDirectory scratch in _restoring.Values)
            {
                scratch.Dispose();
            }
            _restoring.Clear();
        }
    }

    /// <summary>
    /// Writes the manifest: the commit point. A request whose answer was lost (or that the store failed
    /// with a 5xx) may have been carried out all the same, so crik then reads the manifest back, with a
    /// few seconds of its own. There, it is a commit; absent, it is not (this throws). When crik cannot
    /// tell, it takes it as a commit: the app, stopped for it, must not run on while the next pod may
    /// restore it. A refusal (4xx) is an answer: the manifest is not there.
    /// </summary>
    private void PutManifest(string key, byte[] json)
    {
        try
        {
            s3.Put(key, json);
            return;
        }
        catch (S3Exception e) when (e.Status is 0 or >= 500)
        {
            bool? stored;
            try
            {
                using IDisposable grace = s3.Within(ManifestConfirmGrace);
                stored = s3.TryGet(key) is { } body && body.AsSpan().SequenceEqual(json);
            }
            catch (S3Exception)
            {
                stored = null;
            }
            if (stored == false)
            {
                throw;
            }
            if (stored == true)
            {
                log.Warning("The store's answer to the manifest {Key} was lost ({Error}), but the store holds it: the checkpoint is committed",
                    s3.Display(key), e.Message);
                return;
            }
            log.Error("crik cannot tell whether the store holds the manifest {Key} ({Error}). It takes the checkpoint as committed, so that "
                + "the app never runs twice: the next pod restores it if the store has it, else the newest one before it", s3.Display(key), e.Message);
        }
    }

    /// <summary>Before a commit point: with the lease lost, another crik may be writing or restoring here.</summary>
    private void ThrowIfLeaseLost()
    {
        if (_lease is { Lost: true })
        {
            throw new IOException($"crik lost its lease {s3.Display(StoreLayout.LockFile)}, so another crik may be using {ImageDir}");
        }
    }

    private static string PackKey(long generation) => $"{StoreLayout.PacksDir}/{StoreLayout.PackName(generation)}";

    private static string LogKey(string name) => $"{StoreLayout.LogDir}/{name}";

    /// <summary>
    /// After a commit: generations beyond <paramref name="keep"/> and every retired one are deleted
    /// (manifest first, so a half-deleted one is never mistaken for whole), then packs up to this
    /// generation that no manifest left uses, then all but the newest CRIU logs.
    /// </summary>
    private void CleanUp(long newest, int keep, List<string> warnings)
    {
        Listing listing = List();
        foreach (long old in listing.Committed.Skip(keep))
        {
            BestEffort(warnings, $"delete old checkpoint {StoreLayout.CommittedName(old)} (keepCheckpoints: {keep})", () => DeleteGeneration(StoreLayout.CommittedName(old)));
        }
        foreach (long old in listing.Retired)
        {
            BestEffort(warnings, $"delete retired checkpoint {StoreLayout.CommittedName(old)}", () => DeleteGeneration($"{StoreLayout.RetiredDir}/{StoreLayout.CommittedName(old)}"));
        }
        listing = List();
        var used = new HashSet<long>();
        foreach ((string key, string state) in listing.Manifests())
        {
            if (ReadManifest(key) is { } manifest)
            {
                used.UnionWith(manifest.Files.Where(f => f.IsStreamed).SelectMany(f => f.Chunks!).Select(c => c.Pack));
            }
            else if (state != StoreLayout.SetAsideDir)
            {
                // A committed or retired generation whose packs are unknown: keep every pack.
                warnings.Add($"the checkpoint is committed, but the manifest {s3.Display(key)} cannot be read, so no unused pack was deleted");
                return;
            }
        }
        foreach (long pack in listing.Packs.Where(p => p <= newest && !used.Contains(p)))
        {
            BestEffort(warnings, $"delete the unused pack {PackKey(pack)}", () => s3.Delete(PackKey(pack)));
        }
        foreach (string old in listing.Logs.Order(StringComparer.Ordinal).SkipLast(StoreLayout.KeepLogFiles))
        {
            BestEffort(warnings, $"delete the old CRIU log {old}", () => s3.Delete(LogKey(old)));
        }
    }

    private void DeleteGeneration(string prefix)
    {
        s3.Delete(prefix + ManifestObject);
        s3.Delete(prefix + MacObject);
    }

    /// <summary>Uploads CRIU's log (and what criu printed) from a work directory into logs/, then deletes it there; failures are warnings.</summary>
    private void KeepCriuLog(DirectoryHandle workDir, string logName)
    {
        foreach (string name in new[] { logName, logName + ".out" })
        {
            try
            {
                using (var file = workDir.TryOpenFile(name))
                {
                    if (file is null)
                    {
                        continue;
                    }
                    s3.Put(LogKey(name), FileContents.Read(file, 64L << 20));
                }
                workDir.DeleteFile(name);
            }
            catch (IOException e)
            {
                log.Warning("Could not upload CRIU's log {Name} to {Dir}: {Error}", name, s3.Display(StoreLayout.LogDir + "/"), e.Message);
            }
        }
    }

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

    private void BestEffort(List<string> warnings, string what, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            string warning = $"the checkpoint is committed, but crik could not {what}: {e.Message}";
            warnings.Add(warning);
            log.Warning("{Warning}", warning);
        }
    }
}
