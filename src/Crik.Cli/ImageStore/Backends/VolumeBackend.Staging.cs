using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Crik.Cli.Model;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore.Backends;

// A dump's staging directory, its commit by rename, and the work directory of a restore.
internal sealed partial class VolumeBackend
{
    public StagingCheckpoint BeginStaging(long generation, Dictionary<string, ChunkRef> known, ChunkCodec codec)
    {
        string name = StoreLayout.StagingName(generation);
        _ = Logs;
        var pack = new PackWriter(generation, Packs.CreateFile(StoreLayout.PackName(generation)), known, codec);
        try
        {
            return new VolumeStaging(this, generation, name, Root.CreateDirectory(name), Path.Combine(LogDir, StoreLayout.DumpLogName(generation)), pack);
        }
        catch
        {
            pack.Dispose();
            Packs.DeleteFile(StoreLayout.PackName(generation));
            throw;
        }
    }

    /// <summary>Removes a staging directory whose dump did not succeed, and its pack, keeping CRIU's log in logs/.</summary>
    private void Abandon(StagingCheckpoint staging)
    {
        KeepCriuLog(staging.Directory, staging.Criu.LogName);
        try
        {
            Root.DeleteTree(staging.Name);
        }
        catch (IOException e)
        {
            log.Warning("Could not remove the failed checkpoint's staging directory {Dir}: {Error}", staging.Path, e.Message);
        }
        staging.Dispose();
        try
        {
            Packs.DeleteFile(StoreLayout.PackName(staging.Generation));
        }
        catch (IOException e)
        {
            log.Warning("Could not remove the failed checkpoint's pack {Pack}: {Error}", Packs.PathOf(StoreLayout.PackName(staging.Generation)), e.Message);
        }
    }

    /// <summary>
    /// Makes the staged files private; with a key seals the saved files into chunks (nothing stays
    /// beside the manifest in plaintext); flushes the file system (the pack included) while it
    /// checksums what stays in the directory.
    /// </summary>
    private (List<ManifestFile> Files, long WrittenBytes) Seal(StagingCheckpoint staging, ChunkCodec codec)
    {
        DirectoryHandle directory = staging.Directory;
        Tighten(directory.Path, directory.MakeContentsPrivate);
        List<ManifestFile> sealedFiles = codec.KeyId is null ? [] : StagedFiles.Seal(directory, staging.Pack);
        // The images go to disk while they are checksummed (both read what CRIU left in the page cache).
        Task flushImages = Task.Run(directory.SyncFileSystemAndSelf);
        List<ManifestFile> inDirectory = FileDigest.DescribeAll(directory, FileDigest.FilesBelow(directory));
        flushImages.GetAwaiter().GetResult();
        return ([.. sealedFiles, .. inDirectory], staging.Pack.WrittenBytes + inDirectory.Sum(f => f.Size));
    }

    /// <summary>Writes the manifest last and flushes it, then renames the staging directory to <paramref name="name"/>: the commit point.</summary>
    private void Publish(StagingCheckpoint staging, string name, byte[] manifest, string? mac, Func<string?> whyNot)
    {
        DirectoryHandle directory = staging.Directory;
        if (mac is not null)
        {
            WriteDurably(directory, Manifest.MacFileName, System.Text.Encoding.ASCII.GetBytes(mac + "\n"));
        }
        WriteDurably(directory, Manifest.FileName, manifest);
        directory.Sync();
        if (whyNot() is { } reason)
        {
            throw new IOException(reason);
        }
        Root.Rename(staging.Name, Root, name);
        try
        {
            Root.Sync();
        }
        catch (IOException e)
        {
            log.Warning("The checkpoint is committed, but crik could not flush the image directory after the commit: {Error}", e.Message);
        }
    }

    public DirectoryHandle? OpenLocalDirectory(string key) => TryOpenBelow(key);

    /// <summary>Renames the file to <paramref name="key"/> (true), or copies it there when it is on another file system (a restore's work directory in /tmp).</summary>
    public bool PutLocalFile(DirectoryHandle directory, string name, SafeFileHandle file, string key)
    {
        DirectoryHandle.SetMode(file, DirectoryHandle.PrivateFile);
        using DirectoryHandle parent = Root.OpenOrCreateParent(key, out string target);
        if (TryRename(directory, name, parent, target))
        {
            return true; // a dump's log, already on the volume: no copy within the checkpoint's budget
        }
        parent.DeleteFile(target);
        using var copy = parent.CreateFile(target);
        SavedFiles.CopyContents(file, copy);
        return false;
    }

    /// <summary>A rename when both are on one file system (rename replaces a planted entry, never follows it).</summary>
    private static bool TryRename(DirectoryHandle from, string name, DirectoryHandle to, string newName)
    {
        try
        {
            from.Rename(name, to, newName);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Keeps CRIU's log of a dump in logs/ (<see cref="CriuLogs"/>).</summary>
    private void KeepCriuLog(DirectoryHandle workDir, string logName) => CriuLogs.Keep(this, log, workDir, logName);

    private static void WriteDurably(DirectoryHandle directory, string name, byte[] content)
    {
        using var file = directory.CreateFile(name);
        RandomAccess.Write(file, content, 0);
        UnlockedFile.Sync(file, directory.PathOf(name));
    }

    /// <summary>A dump's staging directory on the volume, committed by renaming it.</summary>
    private sealed class VolumeStaging(VolumeBackend volume, long generation, string name, DirectoryHandle directory, string logPath, PackWriter pack)
        : StagingCheckpoint(generation, name, directory, logPath, pack)
    {
        public override (List<ManifestFile> Files, long WrittenBytes) Seal(ChunkCodec codec) => volume.Seal(this, codec);

        public override void Publish(string committedName, byte[] manifest, string? mac, Func<string?> whyNot) =>
            volume.Publish(this, committedName, manifest, mac, whyNot);

        public override void Abandon() => volume.Abandon(this);

        public override void KeepLog() => volume.KeepCriuLog(Directory, Criu.LogName);
    }
}
