using System.Text;
using Crik.Cli.Chunks;
using Crik.Cli.Decisions;
using Crik.Cli.Interop;
using Crik.Cli.Model;

namespace Crik.Cli.ImageStore;

// Seal, publish or abandon: the steps that end a staging area, in terms of the backend's primitives.
internal sealed partial class StagingCheckpoint
{
    /// <summary>How long CRIU's log of a failed dump may still take to keep, even past the checkpoint's budget.</summary>
    private static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Everything of the staged dump but its manifest goes to stable storage: the pack, and the files CRIU and crik
    /// left beside it (made private; sealed into chunks when <see cref="StagedDump.SealsFilesIntoChunks"/> says so,
    /// else flushed with the file system, the pack included, while they are checksummed). Returns those files as
    /// the manifest lists them, and the bytes written for this generation.
    /// </summary>
    public (List<ManifestFile> Files, long WrittenBytes) Seal(ChunkCodec codec)
    {
        if (_name is { } name)
        {
            _backend.Node.MakePrivate(name);
        }
        List<ManifestFile> sealedFiles = StagedDump.SealsFilesIntoChunks(Commit, encrypted: codec.KeyId is not null) ? StagedFiles.Seal(_directory, Pack) : [];
        List<ManifestFile> inDirectory = Commit == StagingCommit.Rename ? FlushAndDescribe() : [];
        _upload.Complete();
        return ([.. sealedFiles, .. inDirectory], Pack.WrittenBytes + inDirectory.Sum(f => f.Size));
    }

    /// <summary>
    /// Makes the staged generation visible as <paramref name="committedName"/> with its manifest, written last: the
    /// commit point. <paramref name="whyNot"/> is asked just before it; a reason abandons the commit (this throws).
    /// Throws only when the generation is not committed.
    /// </summary>
    public void Publish(string committedName, byte[] manifest, string? mac, Func<string?> whyNot)
    {
        if (_name is not { } name)
        {
            new ManifestCommit(_backend, _requests, _log).Publish(Generation, committedName, manifest, mac, whyNot);
            return;
        }
        if (mac is not null)
        {
            WriteDurably(Manifest.MacFileName, Encoding.ASCII.GetBytes(mac + "\n"));
        }
        WriteDurably(Manifest.FileName, manifest);
        _directory.Sync();
        if (whyNot() is { } reason)
        {
            throw new IOException(reason);
        }
        if (!_backend.RenameNoReplace(name, committedName))
        {
            throw new IOException($"{_backend.ImageDir.TrimEnd('/')}/{committedName} exists already, so this checkpoint is not committed");
        }
    }

    /// <summary>
    /// Removes the staging area of a dump that will not be committed, keeping CRIU's log, and its pack as
    /// <see cref="StagedDump.WhenAbandoned"/> says; failures are warnings.
    /// </summary>
    public void Abandon()
    {
        using IDisposable grace = _requests.Within(AbandonGrace);
        KeepLog();
        if (_name is { } name)
        {
            try
            {
                _backend.Delete(name);
            }
            catch (IOException e)
            {
                _log.Warning("Could not remove the failed checkpoint's staging directory {Dir}: {Error}", Path, e.Message);
            }
        }
        switch (StagedDump.WhenAbandoned(Commit, _upload.Completed))
        {
            case AbandonedPack.Abort:
                _upload.Abort();
                break;
            case AbandonedPack.Delete:
                DeletePack();
                break;
        }
        Dispose();
    }

    /// <summary>The images go to disk while they are checksummed (both read what CRIU left in the page cache).</summary>
    private List<ManifestFile> FlushAndDescribe()
    {
        Task flushImages = Task.Run(_directory.SyncFileSystemAndSelf);
        List<ManifestFile> files = FileDigest.DescribeAll(_directory, FileDigest.FilesBelow(_directory));
        flushImages.GetAwaiter().GetResult();
        return files;
    }

    private void DeletePack()
    {
        Pack.Dispose();
        string key = StoreLayout.PackKey(Generation);
        try
        {
            _backend.Delete(key);
        }
        catch (IOException e)
        {
            _log.Warning("Could not remove the failed checkpoint's pack {Pack}: {Error}", $"{_backend.ImageDir.TrimEnd('/')}/{key}", e.Message);
        }
    }

    private void WriteDurably(string name, byte[] content)
    {
        using var file = _directory.CreateFile(name);
        RandomAccess.Write(file, content, 0);
        UnlockedFile.Sync(file, _directory.PathOf(name));
    }
}
