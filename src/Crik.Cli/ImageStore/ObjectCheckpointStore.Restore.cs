using Crik.Cli.Chunks;

namespace Crik.Cli.ImageStore;

// Choosing a generation to restore, retiring it before CRIU runs, and setting aside what cannot be restored.
internal sealed partial class ObjectCheckpointStore
{
    public CommittedCheckpoint? FindRestorable(AppIdentity? current = null)
    {
        List<long> committed = List().Committed;
        AbortStaleUploads();
        foreach (long generation in committed)
        {
            string name = StoreLayout.CommittedName(generation);
            string? problem = Verify(name, out Manifest? manifest, out bool keep);
            if (keep)
            {
                log.Warning("Checkpoint {Dir} is not restored: {Problem}; it stays where it is, trying an older one", s3.Display(name), problem);
                continue;
            }
            if (problem is null && current is not null)
            {
                problem = AppIdentity.Mismatch(manifest!, current);
            }
            if (problem is null)
            {
                return new CommittedCheckpoint(name, s3.Display(name), manifest!);
            }
            string moved = SetAside("", name, problem);
            log.Warning("Checkpoint {Dir} cannot be restored: {Problem}; set aside at {Path}, trying an older one", s3.Display(name), problem, moved);
        }
        return null;
    }

    public RestoreAttempt BeginRestore(CommittedCheckpoint checkpoint)
    {
        ThrowIfLeaseLost();
        ScratchDirectory scratch = ScratchDirectory.Create($"crik-restore-{checkpoint.Manifest.Generation:D6}", fallbackParent: null);
        var moved = new List<string>();
        try
        {
            foreach (long generation in List().Committed.Where(g => g <= checkpoint.Manifest.Generation).Reverse())
            {
                string name = StoreLayout.CommittedName(generation);
                Move(name, $"{StoreLayout.RetiredDir}/{name}");
                moved.Add(name);
            }
            string logName = StoreLayout.RestoreLogName(checkpoint.Manifest.Generation);
            RestoreAttempt? attempt = null;
            // Whichever way the attempt ends, even by an exception between here and its end, its scratch directory goes with it.
            attempt = new RestoreAttempt(checkpoint with { Directory = s3.Display($"{StoreLayout.RetiredDir}/{checkpoint.Name}") },
                scratch.Directory.OpenOrCreateDirectory("."), moved, logName, s3.Display(LogKey(logName)), ended: () => DropScratch(attempt!));
            lock (_restoring)
            {
                _restoring[attempt] = scratch;
            }
            return attempt;
        }
        catch
        {
            // Nothing was restored: what was retired for it is committed again, or the next commit's clean-up would delete it.
            PutBack(moved);
            scratch.Dispose();
            throw;
        }
    }

    public int RetireCommitted()
    {
        List<long> committed = List().Committed;
        foreach (long generation in Enumerable.Reverse(committed))
        {
            string name = StoreLayout.CommittedName(generation);
            Move(name, $"{StoreLayout.RetiredDir}/{name}");
        }
        return committed.Count;
    }

    public void Reinstate(RestoreAttempt attempt)
    {
        attempt.Dispose();
        foreach (string name in attempt.Retired.Reverse())
        {
            Move($"{StoreLayout.RetiredDir}/{name}", name);
        }
    }

    public void PutBackSavedFiles(RestoreAttempt attempt)
    {
        Manifest manifest = attempt.Checkpoint.Manifest;
        using PackReader packs = OpenPackReader();
        StagedFiles.PutBack(manifest, packs);
    }

    public ImageFiles WriteImageFiles(RestoreAttempt attempt)
    {
        using PackReader packs = OpenPackReader();
        return ImageFiles.Write(attempt.Checkpoint.Manifest, packs, attempt.Directory);
    }

    public void RestoreSucceeded(RestoreAttempt attempt)
    {
        try
        {
            KeepCriuLog(attempt.Directory, attempt.Criu.LogName);
        }
        finally
        {
            attempt.Dispose();
        }
    }

    public string RestoreFailed(RestoreAttempt attempt, string reason)
    {
        try
        {
            // Before CRIU's log, which may be large and slow: the generation must not be left retired (and deleted by the next commit) without its reason.
            return SetAside($"{StoreLayout.RetiredDir}/", attempt.Checkpoint.Name, reason);
        }
        finally
        {
            KeepCriuLog(attempt.Directory, attempt.Criu.LogName);
            attempt.Dispose();
        }
    }

    public string SetAside(CommittedCheckpoint checkpoint, string reason) => SetAside("", checkpoint.Name, reason);

    /// <summary>Moves a generation below set-aside/ with its reason beside it; returns where it went.</summary>
    private string SetAside(string from, string name, string reason)
    {
        string target = $"{StoreLayout.SetAsideDir}/{StoreLayout.SetAsideName(name, 1)}";
        for (int attempt = 2; s3.TryGetLength(target + ManifestObject) is not null; attempt++)
        {
            target = $"{StoreLayout.SetAsideDir}/{StoreLayout.SetAsideName(name, attempt)}";
        }
        s3.Put($"{target}/{StoreLayout.SetAsideReasonFile}", System.Text.Encoding.UTF8.GetBytes(reason + "\n"));
        Move(from + name, target);
        return s3.Display(target);
    }

    /// <summary>
    /// Copies a generation's manifest (and manifest.hmac) to <paramref name="to"/>, then deletes the
    /// original, manifest first: once this returns, the generation is no longer where it was. A crash
    /// in between leaves it in both places, which is harmless: it has not been restored yet.
    /// </summary>
    private void Move(string from, string to)
    {
        byte[]? json = s3.TryGet(from + ManifestObject) ?? throw new IOException($"{s3.Display(from)} vanished before crik could move it");
        if (s3.TryGet(from + MacObject) is { } mac)
        {
            s3.Put(to + MacObject, mac);
        }
        s3.Put(to + ManifestObject, json);
        s3.Delete(from + ManifestObject);
        s3.Delete(from + MacObject);
    }

    /// <summary>Commits again, best effort, generations retired for a restore that did not begin.</summary>
    private void PutBack(List<string> retired)
    {
        foreach (string name in Enumerable.Reverse(retired))
        {
            try
            {
                Move($"{StoreLayout.RetiredDir}/{name}", name);
            }
            catch (IOException e)
            {
                log.Warning("Could not commit {Dir} again after its restore did not begin: {Error}", s3.Display(name), e.Message);
            }
        }
    }

    private void DropScratch(RestoreAttempt attempt)
    {
        ScratchDirectory? scratch;
        lock (_restoring)
        {
            _restoring.Remove(attempt, out scratch);
        }
        scratch?.Dispose();
    }

    /// <param name="keep">The generation is whole but not for this crik (another key): it stays where it is.</param>
    private string? Verify(string name, out Manifest? manifest, out bool keep)
    {
        manifest = null;
        keep = false;
        byte[]? json = s3.TryGet(name + ManifestObject);
        if (json is null)
        {
            return "its manifest vanished";
        }
        if (ManifestVerifier.ReadManifest(json, () => s3.TryGet(name + MacObject), name, _codec, out Manifest? read) is { } unreadable)
        {
            return unreadable;
        }
        if (ManifestVerifier.KeyProblem(read!, _codec) is { } keyProblem)
        {
            keep = true;
            return keyProblem;
        }
        if (read!.Files.FirstOrDefault(f => !f.IsStreamed) is { } file)
        {
            return $"its manifest lists {file.Path} as a file beside it, and a generation in object storage has only chunks";
        }
        using PackReader packs = OpenPackReader();
        string? problem = ManifestVerifier.VerifyChunks(read, packs);
        manifest = problem is null ? read : null;
        return problem;
    }

    /// <summary>
    /// Drops multipart uploads of packs that no crik will complete (a pod killed mid-dump), once they
    /// are an hour old; a store that cannot list them relies on the bucket's lifecycle rule.
    /// </summary>
    private void AbortStaleUploads()
    {
        try
        {
            foreach (ObjectStorage.S3Upload upload in s3.TryListUploads(StoreLayout.PacksDir + "/") ?? [])
            {
                if (upload.Initiated >= DateTimeOffset.UtcNow.AddHours(-1))
                {
                    continue;
                }
                try
                {
                    s3.TryAbortUpload(upload.Name, upload.UploadId);
                    log.Information("Aborted an unfinished upload of {Pack} started {Initiated:u}", s3.Display(upload.Name), upload.Initiated);
                }
                catch (IOException e)
                {
                    log.Warning("Could not abort the unfinished upload {UploadId} of {Pack}: {Error}", upload.UploadId, s3.Display(upload.Name), e.Message);
                }
            }
        }
        catch (IOException e)
        {
            log.Warning("Could not clean up unfinished uploads in {Dir}: {Error}", ImageDir, e.Message);
        }
    }
}
