using Crik.Cli.Chunks;
using Crik.Cli.Interop;

namespace Crik.Cli.ImageStore;

// Choosing a checkpoint to restore, retiring it before CRIU runs (at most one restore per
// generation), and setting aside what cannot be restored.
internal sealed partial class CheckpointStore
{
    /// <summary>
    /// The newest committed checkpoint that verifies and was taken of <paramref name="current"/>
    /// (when given). Staging directories left by a crash, and checkpoints that are unreadable, fail
    /// verification or are of another app, are set aside with a warning on the way.
    /// </summary>
    public CommittedCheckpoint? FindRestorable(AppIdentity? current = null)
    {
        foreach (string name in Root.Names().Where(n => StoreLayout.IsStaging(n) || StoreLayout.IsCommitted(n)))
        {
            if (Root.Stat(name) is { Kind: not FileKind.Directory } status)
            {
                log.Warning("Ignoring {Path}: it is {Kind}, not a directory crik made; crik never follows links in its image directory",
                    Root.PathOf(name), DirectoryHandle.Describe(status.Kind));
            }
            else if (StoreLayout.IsStaging(name))
            {
                string moved = SetAside(Root, name, "an unfinished checkpoint (crik stopped during a dump)");
                log.Warning("Found an unfinished checkpoint {Name}, never committed; set aside at {Path}", name, moved);
            }
        }
        foreach (string name in CommittedNames(Root))
        {
            string? problem = Verify(name, out Manifest? manifest, out bool keep);
            if (keep)
            {
                log.Warning("Checkpoint {Dir} is not restored: {Problem}; it stays where it is, trying an older one", Root.PathOf(name), problem);
                continue;
            }
            if (problem is null && current is not null)
            {
                problem = AppIdentity.Mismatch(manifest!, current);
            }
            if (problem is null)
            {
                return new CommittedCheckpoint(name, Root.PathOf(name), manifest!);
            }
            string moved = SetAside(Root, name, problem);
            log.Warning("Checkpoint {Dir} cannot be restored: {Problem}; set aside at {Path}, trying an older one", Root.PathOf(name), problem, moved);
        }
        return null;
    }

    /// <summary>
    /// Durably retires the checkpoint and every older committed one (moves them to retired/, oldest
    /// first, and flushes), so that whatever happens next none of them is restored again. CRIU then
    /// restores from retired/. Retired generations are deleted when a newer checkpoint commits.
    /// </summary>
    public RestoreAttempt BeginRestore(CommittedCheckpoint checkpoint)
    {
        using DirectoryHandle retired = Root.OpenOrCreateDirectory(StoreLayout.RetiredDir);
        var moved = new List<string>();
        foreach (string name in CommittedNames(Root).Where(n => StoreLayout.ParseGeneration(n) <= checkpoint.Manifest.Generation).Reverse())
        {
            retired.DeleteTree(name); // a copy left by an interrupted earlier retirement
            Root.Rename(name, retired, name);
            moved.Add(name);
        }
        retired.Sync();
        Root.Sync();
        DirectoryHandle directory = retired.TryOpenDirectory(checkpoint.Name)
            ?? throw new IOException($"checkpoint {checkpoint.Name} vanished from {ImageDir} before its restore");
        directory.DeleteFile(StoreLayout.RestorePidFile);
        string logName = StoreLayout.RestoreLogName(checkpoint.Manifest.Generation);
        return new RestoreAttempt(checkpoint with { Directory = directory.Path }, directory, moved, logName, Path.Combine(LogDir, logName));
    }

    /// <summary>
    /// Durably retires every committed checkpoint (for an app that ended on its own after periodic
    /// checkpoints: it must not be brought back). Returns how many were retired.
    /// </summary>
    public int RetireCommitted()
    {
        using DirectoryHandle retired = Root.OpenOrCreateDirectory(StoreLayout.RetiredDir);
        List<string> names = CommittedNames(Root);
        foreach (string name in Enumerable.Reverse(names))
        {
            retired.DeleteTree(name);
            Root.Rename(name, retired, name);
        }
        retired.Sync();
        Root.Sync();
        return names.Count;
    }

    /// <summary>Undoes <see cref="BeginRestore"/> when CRIU never ran (e.g. it is not installed): the checkpoints are committed again.</summary>
    public void Reinstate(RestoreAttempt attempt)
    {
        attempt.Dispose();
        using DirectoryHandle retired = Root.OpenOrCreateDirectory(StoreLayout.RetiredDir);
        foreach (string name in attempt.Retired.Reverse())
        {
            retired.Rename(name, Root, name);
        }
        Root.Sync();
        retired.Sync();
    }

    /// <summary>
    /// Puts back the generation's saved paths: from its directory, or for an encrypted generation
    /// from its sealed files, decrypted into a private directory on the node that is deleted after.
    /// </summary>
    public void PutBackSavedFiles(RestoreAttempt attempt)
    {
        Manifest manifest = attempt.Checkpoint.Manifest;
        if (!manifest.Files.Any(f => f.IsStreamed && f.Path.Contains('/')))
        {
            AppFiles.PutBack(manifest, attempt);
            return;
        }
        using PackReader packs = OpenPackReader();
        StagedFiles.PutBack(manifest, packs);
    }

    /// <summary>The generation's CRIU images as files, for a restore CRIU cannot do from a stream (see <see cref="ImageFiles"/>).</summary>
    public ImageFiles WriteImageFiles(RestoreAttempt attempt)
    {
        using PackReader packs = OpenPackReader();
        return ImageFiles.Write(attempt.Checkpoint.Manifest, packs, attempt.Directory);
    }


    /// <summary>The restored app runs: CRIU's log goes to logs/; the checkpoint stays retired.</summary>
    public void RestoreSucceeded(RestoreAttempt attempt)
    {
        KeepCriuLog(attempt.Directory, attempt.Criu.LogName);
        attempt.Directory.DeleteFile(StoreLayout.RestorePidFile);
        attempt.Dispose();
    }

    /// <summary>The restore failed: the checkpoint goes to set-aside/ with its CRIU log, a copy of which stays in logs/. Returns where it went.</summary>
    public string RestoreFailed(RestoreAttempt attempt, string reason)
    {
        try
        {
            CopyFile(attempt.Directory, attempt.Criu.LogName, Logs);
        }
        catch (IOException e)
        {
            log.Warning("Could not copy CRIU's restore log into {Dir}: {Error}", LogDir, e.Message);
        }
        attempt.Dispose();
        using DirectoryHandle retired = Root.OpenOrCreateDirectory(StoreLayout.RetiredDir);
        return SetAside(retired, attempt.Checkpoint.Name, reason);
    }

    /// <summary>Moves a committed checkpoint that cannot be restored out of the way, with the reason beside it. Returns where it went.</summary>
    public string SetAside(CommittedCheckpoint checkpoint, string reason) => SetAside(Root, checkpoint.Name, reason);

    private string SetAside(DirectoryHandle from, string name, string reason)
    {
        using DirectoryHandle setAside = Root.OpenOrCreateDirectory(StoreLayout.SetAsideDir);
        string target = StoreLayout.SetAsideName(name, 1);
        for (int attempt = 2; setAside.Stat(target) is not null; attempt++)
        {
            target = StoreLayout.SetAsideName(name, attempt);
        }
        from.Rename(name, setAside, target);
        using (DirectoryHandle moved = setAside.TryOpenDirectory(target)!)
        {
            moved.MakeContentsPrivate();
            using var reasonFile = moved.CreateFile(StoreLayout.SetAsideReasonFile);
            RandomAccess.Write(reasonFile, System.Text.Encoding.UTF8.GetBytes(reason + "\n"), 0);
        }
        setAside.Sync();
        from.Sync();
        Root.Sync();
        return setAside.PathOf(target);
    }

    /// <param name="keep">The generation is whole as far as crik can tell, but not for this crik (see
    /// <see cref="ManifestVerifier.KeyProblem"/>): it must stay where it is.</param>
    private string? Verify(string name, out Manifest? manifest, out bool keep)
    {
        manifest = null;
        keep = false;
        try
        {
            if (NotMadeByCrik(name) is { } stranger)
            {
                return stranger;
            }
            using DirectoryHandle directory = Root.TryOpenDirectory(name)!;
            directory.MakeContentsPrivate();
            // Read once: what is checked (its authentication, its key) is what is restored.
            if (ManifestVerifier.ReadManifest(directory, name, _codec, out Manifest? read) is { } unreadable)
            {
                return unreadable;
            }
            if (ManifestVerifier.KeyProblem(read!, _codec) is { } keyProblem)
            {
                keep = true;
                return keyProblem;
            }
            using PackReader packs = OpenPackReader();
            string? problem = ManifestVerifier.VerifyContents(directory, read!, packs);
            manifest = problem is null ? read : null;
            return problem;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"it cannot be read ({e.Message})";
        }
    }

    /// <summary>
    /// Why a checkpoint directory is not one crik made (crik makes them 0700, as its own user), or
    /// null. CRIU restores as root and writes inside the directory, so one that another user made
    /// or can write is never handed to it.
    /// </summary>
    private string? NotMadeByCrik(string name)
    {
        uint crik = Posix.EffectiveUserId;
        return Root.Stat(name) is { } status
            && (status.Uid != crik || (status.Mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            ? $"its directory belongs to uid {status.Uid} with mode {Convert.ToString((int)status.Mode, 8)}, so crik (uid {crik}) did not make it; crik restores only checkpoints it made"
            : null;
    }

    private static void CopyFile(DirectoryHandle from, string name, DirectoryHandle to)
    {
        using var source = from.TryOpenFile(name);
        if (source is null)
        {
            return;
        }
        using var target = to.CreateFile(name);
        var buffer = new byte[1 << 16];
        long offset = 0;
        for (int read; (read = RandomAccess.Read(source, buffer, offset)) > 0; offset += read)
        {
            RandomAccess.Write(target, buffer.AsSpan(0, read), offset);
        }
    }
}
