using System.Text.Json;
using Crik.Cli.Interop;

namespace Crik.Cli.ImageStore;

// Committing a staged dump, and the clean-up that follows it.
internal sealed partial class CheckpointStore
{
    /// <summary>
    /// Makes the staged files private, checksums them while the file system (the pack included) is
    /// flushed, writes the manifest last (listing the streamed images in <paramref name="manifest"/>'s
    /// files and the files in the directory), and renames the staging directory to
    /// <c>checkpoint-NNNNNN</c>: the commit point.
    /// </summary>
    /// <remarks>
    /// Throws only before the commit point (the checkpoint then does not exist and the caller
    /// abandons the staging directory). After it nothing throws: flushing the image directory and
    /// deleting generations beyond <paramref name="keep"/>, retired generations and old logs are
    /// best effort, and what fails is logged and returned in <see cref="CommitResult.Warnings"/>.
    /// </remarks>
    /// <param name="inTime">Asked just before the rename: false abandons the commit (the checkpoint budget ran out).</param>
    public CommitResult Commit(StagingCheckpoint staging, Manifest manifest, int keep, Func<bool>? inTime = null)
    {
        KeepCriuLog(staging.Directory, staging.Criu.LogName);
        DirectoryHandle directory = staging.Directory;
        directory.MakeContentsPrivate();
        // With a key, nothing stays in the directory as plaintext: saved files become chunks too.
        List<ManifestFile> sealedFiles = _codec.KeyId is null ? [] : StagedFiles.Seal(directory, staging.Pack);
        // The images go to disk while they are checksummed (both read what CRIU left in the page cache).
        Task flushImages = Task.Run(directory.SyncFileSystemAndSelf);
        List<ManifestFile> inDirectory = FileDigest.DescribeAll(directory, FileDigest.FilesBelow(directory));
        flushImages.GetAwaiter().GetResult();
        List<ManifestFile> files = [.. manifest.Files, .. sealedFiles, .. inDirectory];
        manifest = manifest with
        {
            Generation = staging.Generation,
            Files = files,
            ImageBytes = files.Sum(f => f.Size),
            WrittenBytes = staging.Pack.WrittenBytes + inDirectory.Sum(f => f.Size),
            Compression = Chunks.ChunkCodec.CodecName(_codec.Compression),
            KeyId = _codec.KeyId,
        };
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.Manifest);
        if (_codec.ManifestMac(json) is { } mac)
        {
            WriteDurably(directory, Manifest.MacFileName, System.Text.Encoding.ASCII.GetBytes(mac + "\n"));
        }
        WriteDurably(directory, Manifest.FileName, json);
        directory.Sync();
        if (inTime is not null && !inTime())
        {
            throw new IOException("checkpointBudget ran out while the checkpoint was being flushed and checksummed");
        }
        string name = StoreLayout.CommittedName(manifest.Generation);
        Root.Rename(staging.Name, Root, name);
        staging.Dispose();

        // The commit point has passed: from here on, failures are warnings.
        var warnings = new List<string>();
        BestEffort(warnings, "flush the image directory after the commit", () => Root.Sync());
        BestEffort(warnings, "clean up older checkpoints and logs", () => Prune(keep, warnings));
        BestEffort(warnings, "delete packs no checkpoint uses", () => DeleteUnusedPacks(manifest.Generation, warnings));
        return new CommitResult(new CommittedCheckpoint(name, Path.Combine(imageDir, name), manifest), warnings);
    }

    private static void WriteDurably(DirectoryHandle directory, string name, byte[] content)
    {
        using var file = directory.CreateFile(name);
        RandomAccess.Write(file, content, 0);
        UnlockedFile.Sync(file, directory.PathOf(name));
    }

    private void Prune(int keep, List<string> warnings)
    {
        foreach (string old in BestEffort(warnings, "list old checkpoints", () => CommittedNames(Root).Skip(keep).ToList()) ?? [])
        {
            BestEffort(warnings, $"delete old checkpoint {old} (keepCheckpoints: {keep})", () => Root.DeleteTree(old));
        }
        // A newer checkpoint exists: generations already restored once are of no use any more.
        using DirectoryHandle? retired = BestEffort(warnings, "open retired/", () => Root.TryOpenDirectory(StoreLayout.RetiredDir));
        foreach (string old in retired?.Names() ?? [])
        {
            BestEffort(warnings, $"delete retired checkpoint {old}", () => retired!.DeleteTree(old));
        }
        BestEffort(warnings, "prune old CRIU logs", PruneLogs);
    }

    private void PruneLogs()
    {
        var files = Logs.Names()
            .Select(n => (Name: n, Status: Logs.Stat(n)))
            .Where(f => f.Status?.Kind is FileKind.Regular or FileKind.SymbolicLink)
            .OrderByDescending(f => f.Status!.Value.Modified)
            .Skip(StoreLayout.KeepLogFiles);
        foreach (var (name, _) in files)
        {
            Logs.DeleteFile(name);
        }
    }

    private void BestEffort(List<string> warnings, string what, Action action) =>
        BestEffort<object?>(warnings, what, () =>
        {
            action();
            return null;
        });

    private T? BestEffort<T>(List<string> warnings, string what, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e)
        {
            string warning = $"the checkpoint is committed, but crik could not {what}: {e.Message}";
            warnings.Add(warning);
            log.Warning("{Warning}", warning);
            return default;
        }
    }
}
