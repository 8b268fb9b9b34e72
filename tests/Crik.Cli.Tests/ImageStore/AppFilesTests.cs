using Crik.Cli.ImageStore;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Records;
using Crik.TestSupport;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>Saving and putting back a tree of additional paths through the store, as root (owners are kept).</summary>
public sealed class AppFilesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("crik-appfiles-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [NamespaceFact]
    public void ATreeWithALinkComesBackWithOwnersModesAndTimesWhileTheCopiesArePrivate()
    {
        string tree = Path.Combine(_root, "app", "state");
        Directory.CreateDirectory(Path.Combine(tree, "sub"));
        File.WriteAllText(Path.Combine(tree, "sub", "data"), "data");
        File.CreateSymbolicLink(Path.Combine(tree, "link"), "sub/data");
        File.SetUnixFileMode(Path.Combine(tree, "sub", "data"), (UnixFileMode)0x1e4 /* 0744 */);
        var stamp = new DateTime(2023, 5, 6, 7, 8, 9, DateTimeKind.Utc).AddTicks(1234567);
        File.SetLastWriteTimeUtc(Path.Combine(tree, "sub", "data"), stamp);
        File.SetUnixFileMode(Path.Combine(tree, "sub"), (UnixFileMode)0x1ed /* 0755 */);
        Directory.SetLastWriteTimeUtc(Path.Combine(tree, "sub"), stamp);
        Chown(Path.Combine(tree, "sub", "data"), 1234, 5678);

        using var store = new VolumeGenerationStore(Path.Combine(_root, "images"), new LoggerConfiguration().CreateLogger());
        using (StagingCheckpoint staging = store.BeginCheckpoint())
        {
            List<SavedFile> saved = AppFiles.Save([tree], staging, Serilog.Core.Logger.None);
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "x");
            store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"], AdditionalPaths = [tree], ExtraFiles = saved }, 2);
        }
        string copy = Path.Combine(_root, "images", "checkpoint-000001", "extra-files", tree.TrimStart('/'), "sub", "data");
        Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(copy));
        Directory.Delete(Path.Combine(_root, "app"), recursive: true);

        using (RestoreAttempt attempt = store.BeginRestore(store.FindRestorable()!))
        {
            store.PutBackSavedFiles(attempt);
        }
        string data = Path.Combine(tree, "sub", "data");
        Assert.Equal("data", File.ReadAllText(data));
        Assert.Equal((UnixFileMode)0x1e4, File.GetUnixFileMode(data));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(data));
        Assert.Equal((1234u, 5678u), Owner(data));
        Assert.Equal("sub/data", new FileInfo(Path.Combine(tree, "link")).LinkTarget);
        Assert.Equal((UnixFileMode)0x1ed, File.GetUnixFileMode(Path.Combine(tree, "sub")));
        Assert.Equal(stamp, Directory.GetLastWriteTimeUtc(Path.Combine(tree, "sub")));
    }

    /// <summary>A FIFO among additionalPaths is not saved, and a line says so; the files beside it are.</summary>
    [Fact]
    public void AFifoAmongAdditionalPathsIsNotSavedAndALineSaysSo()
    {
        string tree = Path.Combine(_root, "app", "state");
        Directory.CreateDirectory(tree);
        File.WriteAllText(Path.Combine(tree, "data"), "saved");
        HostCommand.MustRun("mkfifo", Path.Combine(tree, "pipe"));
        var log = new Crik.Cli.Tests.Observing.LogLines();
        using var store = new VolumeGenerationStore(Path.Combine(_root, "images"), new LoggerConfiguration().CreateLogger());
        using StagingCheckpoint staging = store.BeginCheckpoint();
        List<SavedFile> saved = AppFiles.Save([tree], staging, log.Logger);
        Assert.Equal([tree, Path.Combine(tree, "data")], saved.Select(f => f.Path));
        Assert.Equal($"Warning: additionalPaths: \"{Path.Combine(tree, "pipe")}\" is \"a FIFO\", which crik does not save (only files, directories and links): "
            + "a restore does not bring it back", Assert.Single(log.Lines));
        store.Abandon(staging);
    }

    /// <summary>
    /// A name at a saved file's path that is another name of some other file (a hard link planted there) is replaced by a
    /// file of its own: the other file keeps its contents and its owner.
    /// </summary>
    [NamespaceFact]
    public void AHardLinkWhereASavedFileGoesIsReplacedNotWrittenThrough()
    {
        string tree = Path.Combine(_root, "app", "state");
        Directory.CreateDirectory(tree);
        string data = Path.Combine(tree, "data");
        File.WriteAllText(data, "saved");
        using var store = new VolumeGenerationStore(Path.Combine(_root, "images"), new LoggerConfiguration().CreateLogger());
        using (StagingCheckpoint staging = store.BeginCheckpoint())
        {
            List<SavedFile> saved = AppFiles.Save([tree], staging, Serilog.Core.Logger.None);
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "x");
            store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"], AdditionalPaths = [tree], ExtraFiles = saved }, 2);
        }
        File.Delete(data);
        string victim = Path.Combine(_root, "victim");
        File.WriteAllText(victim, "precious");
        Chown(victim, 4321, 4321);
        HostCommand.MustRun("ln", victim, data);

        using (RestoreAttempt attempt = store.BeginRestore(store.FindRestorable()!))
        {
            store.PutBackSavedFiles(attempt);
        }
        Assert.Equal("saved", File.ReadAllText(data));
        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Equal((4321u, 4321u), Owner(victim));
    }

    /// <summary>
    /// The saved copies are read through the volume's side on this node, so that a read failing on this node's own disk is
    /// told as the disk's (<see cref="DiskErrorsBackend"/>), not as a store away to wait for;
    /// here only the reads of a copy's contents fail.
    /// </summary>
    [NamespaceFact]
    public void AReadOfASavedCopyThatThisNodesDiskFailsIsTheDisksFailure()
    {
        string tree = Path.Combine(_root, "app", "state");
        Directory.CreateDirectory(tree);
        File.WriteAllText(Path.Combine(tree, "data"), "data");
        using var store = new VolumeGenerationStore(Path.Combine(_root, "images"), new LoggerConfiguration().CreateLogger());
        using (StagingCheckpoint staging = store.BeginCheckpoint())
        {
            List<SavedFile> saved = AppFiles.Save([tree], staging, Serilog.Core.Logger.None);
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "x");
            store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"], AdditionalPaths = [tree], ExtraFiles = saved }, 2);
        }
        Directory.Delete(tree, recursive: true);

        using RestoreAttempt attempt = store.BeginRestore(store.FindRestorable()!);
        using var volume = new VolumeBackend(Path.Combine(_root, "images"), Serilog.Core.Logger.None);
        volume.List([""]); // opens the image directory, which tells the volume it is on this node's own disk
        var failing = new ContentReadsFail(volume);
        var disk = new DiskErrorsBackend(failing, volume);
        var failure = Assert.Throws<Crik.Cli.Chunks.DiskFailureException>(() =>
            AppFiles.PutBack(attempt.Checkpoint.Manifest, attempt.Directory, disk.Wrap(failing.Wrap(volume.NodeSide))));
        Assert.Equal(5, failure.HResult);
        Assert.Equal(Crik.Cli.Chunks.ReadFailure.Permanent, Crik.Cli.Chunks.ReadFailures.Classify(failure));
        Assert.True(failing.ContentReads > 0);
    }

    /// <summary>
    /// A saved file whose copy cannot be read to its end (the disk fails after its first megabyte) leaves the app's path as
    /// it was, whole: the copy is written beside it and renamed into place only once all of it is in.
    /// </summary>
    [NamespaceFact]
    public void APutBackCutShortLeavesTheFileAtTheAppsPathWhole()
    {
        string tree = Path.Combine(_root, "app", "state");
        Directory.CreateDirectory(tree);
        string data = Path.Combine(tree, "data");
        File.WriteAllBytes(data, Enumerable.Repeat((byte)'s', 3 << 20).ToArray());
        using var store = new VolumeGenerationStore(Path.Combine(_root, "images"), new LoggerConfiguration().CreateLogger());
        using (StagingCheckpoint staging = store.BeginCheckpoint())
        {
            List<SavedFile> saved = AppFiles.Save([tree], staging, Serilog.Core.Logger.None);
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "x");
            store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"], AdditionalPaths = [tree], ExtraFiles = saved }, 2);
        }
        byte[] current = Enumerable.Repeat((byte)'c', 3 << 20).ToArray();
        File.WriteAllBytes(data, current);

        using RestoreAttempt attempt = store.BeginRestore(store.FindRestorable()!);
        using var volume = new VolumeBackend(Path.Combine(_root, "images"), Serilog.Core.Logger.None);
        var failing = new ContentReadsFail(volume, readsBeforeFailing: 1);
        Assert.ThrowsAny<IOException>(() => AppFiles.PutBack(attempt.Checkpoint.Manifest, attempt.Directory, failing.Wrap(volume.NodeSide)));
        Assert.Equal(2, failing.ContentReads);
        Assert.Equal(current, File.ReadAllBytes(data));
        Assert.Equal(["data"], Directory.GetFileSystemEntries(tree).Select(Path.GetFileName));
    }

    /// <summary>
    /// A saved file bind-mounted into a directory crik cannot write in (a subPath volume under a read-only root file system):
    /// no name can be made beside it, so it is written in place, as the mount allows, when the file there is root's or the
    /// saved file's owner's and its mode lets nobody else more than the saved file's. Another user's, or one others may write,
    /// is refused and left as it was: its inode would stay, and what was opened before would read and write what crik puts back.
    /// </summary>
    [NamespaceTheory]
    [InlineData(0, 0x1a4 /* 0644 */, "")]
    [InlineData(1234, 0x1a4, "")]
    [InlineData(4321, 0x1a4, "belongs to uid 4321")]
    [InlineData(1234, 0x1b6 /* 0666 */, "lets others open it")]
    [InlineData(0, 0x1b4 /* 0664 */, "lets group 0 open it")]
    public void ASavedFileMountedIntoAReadOnlyDirectoryIsWrittenInPlaceUnlessAnotherUserOwnsIt(int mountedOwner, int mountedMode, string refusal)
    {
        bool writtenInPlace = refusal.Length == 0;
        string tree = Path.Combine(_root, "app", "state");
        Directory.CreateDirectory(tree);
        string data = Path.Combine(tree, "data");
        File.WriteAllText(data, "saved");
        File.SetUnixFileMode(data, (UnixFileMode)0x1a4);
        Chown(data, 1234, 1234);
        using var store = new VolumeGenerationStore(Path.Combine(_root, "images"), new LoggerConfiguration().CreateLogger());
        using (StagingCheckpoint staging = store.BeginCheckpoint())
        {
            List<SavedFile> saved = AppFiles.SaveExactly([], [data], staging, Serilog.Core.Logger.None);
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "x");
            store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"], AdditionalPaths = [data], ExtraFiles = saved }, 2);
        }
        string volume = Path.Combine(_root, "volume-file");
        File.WriteAllText(volume, "changed since");
        Chown(volume, mountedOwner, mountedOwner);
        File.SetUnixFileMode(volume, (UnixFileMode)mountedMode);
        HostCommand.MustRun("mount", "--bind", tree, tree);
        try
        {
            HostCommand.MustRun("mount", "-o", "remount,bind,ro", tree);
            HostCommand.MustRun("mount", "--bind", volume, data);
            try
            {
                using RestoreAttempt attempt = store.BeginRestore(store.FindRestorable()!);
                if (writtenInPlace)
                {
                    store.PutBackSavedFiles(attempt);
                }
                else
                {
                    var refused = Assert.Throws<PutBackRefusedException>(() => store.PutBackSavedFiles(attempt));
                    Assert.StartsWith($"{data} {refusal}", refused.Message, StringComparison.Ordinal);
                }
            }
            finally
            {
                HostCommand.MustRun("umount", data);
            }
        }
        finally
        {
            HostCommand.MustRun("umount", tree);
        }
        Assert.Equal(writtenInPlace ? "saved" : "changed since", File.ReadAllText(volume));
        Assert.Equal(writtenInPlace ? 1234u : (uint)mountedOwner, Crik.Cli.Interop.FileStatus.TryRead(volume)!.Value.Uid);
    }

    /// <summary>A read through the store's side on this node fails with EIO once it reads a file's contents (an int: bytes read), after so many that succeed.</summary>
    private sealed class ContentReadsFail(IStoreBackend inner, int readsBeforeFailing = 0) : BackendWrapper(inner)
    {
        public int ContentReads { get; private set; }

        protected override TResult Around<TState, TResult>(StoreOperation operation, TState state, Func<TState, TResult> work)
        {
            if (typeof(TResult) == typeof(int) && ++ContentReads > readsBeforeFailing)
            {
                throw new IOException("Input/output error", 5);
            }
            return work(state);
        }
    }

    [NamespaceFact]
    public void APutBackRefusesALinkInTheMiddleOfAPathAndWritesNothingWhereItLeads()
    {
        string tree = Path.Combine(_root, "app", "state");
        Directory.CreateDirectory(Path.Combine(tree, "sub"));
        File.WriteAllText(Path.Combine(tree, "sub", "data"), "data");
        File.CreateSymbolicLink(Path.Combine(tree, "link"), "sub/data");
        using var store = new VolumeGenerationStore(Path.Combine(_root, "images"), new LoggerConfiguration().CreateLogger());
        using (StagingCheckpoint staging = store.BeginCheckpoint())
        {
            List<SavedFile> saved = AppFiles.Save([tree], staging, Serilog.Core.Logger.None);
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "x");
            store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"], AdditionalPaths = [tree], ExtraFiles = saved }, 2);
        }
        // The new container: app/state is a link another user planted (on a volume, say) to a directory crik must not write in.
        Directory.Delete(tree, recursive: true);
        string victim = Directory.CreateDirectory(Path.Combine(_root, "victim")).FullName;
        File.CreateSymbolicLink(tree, victim);
        HostCommand.MustRun("chown", "-h", "1000:1000", tree);

        IOException refused;
        using (RestoreAttempt attempt = store.BeginRestore(store.FindRestorable()!))
        {
            refused = Assert.ThrowsAny<IOException>(() => store.PutBackSavedFiles(attempt));
        }
        Assert.Empty(Directory.GetFileSystemEntries(victim));
        Assert.Equal((UnixFileMode)0x1ed /* 0755 */, File.GetUnixFileMode(victim));
        Assert.Contains($"{tree} is a symbolic link", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A directory on the way to a saved path is another user's link (on a shared volume, say) to where that user cannot read: the
    /// save is refused, and nothing from where the link leads is copied into the checkpoint. Before, crik followed it as root.
    /// </summary>
    [NamespaceFact]
    public void ASaveRefusesAnotherUsersLinkOnTheWayAndCopiesNothingFromWhereItLeads()
    {
        string secret = Directory.CreateDirectory(Path.Combine(_root, "secret")).FullName;
        File.WriteAllText(Path.Combine(secret, "data"), "secret");
        File.SetUnixFileMode(Path.Combine(secret, "data"), UnixFileMode.UserRead);
        string state = Path.Combine(Directory.CreateDirectory(Path.Combine(_root, "app")).FullName, "state");
        File.CreateSymbolicLink(state, secret);
        HostCommand.MustRun("chown", "-h", "1000:1000", state);
        using var store = new VolumeGenerationStore(Path.Combine(_root, "images"), new LoggerConfiguration().CreateLogger());
        using StagingCheckpoint staging = store.BeginCheckpoint();

        IOException refused = Assert.ThrowsAny<IOException>(() => AppFiles.Save([Path.Combine(state, "data")], staging, Serilog.Core.Logger.None));

        Assert.Contains($"{state} is a symbolic link of uid 1000", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.EnumerateFiles(staging.Path, "*", SearchOption.AllDirectories), f => File.ReadAllText(f) == "secret");
    }

    /// <summary>
    /// A tree nested deeper than crik walks (planted on a shared volume, past any path's length, as only a walk by descriptors
    /// reaches it) is refused with a line that says so, not followed until crik runs out of stack, which would end PID 1.
    /// </summary>
    [Fact]
    public void ASaveRefusesATreeNestedDeeperThanItWalks()
    {
        string tree = Directory.CreateDirectory(Path.Combine(_root, "app", "state")).FullName;
        string deep = tree;
        for (int level = 0; level <= Crik.Cli.Interop.DirectoryHandle.MaxTreeDepth; level++)
        {
            deep = Path.Combine(deep, "d");
        }
        Directory.CreateDirectory(deep);
        using var store = new VolumeGenerationStore(Path.Combine(_root, "images"), new LoggerConfiguration().CreateLogger());
        using StagingCheckpoint staging = store.BeginCheckpoint();

        IOException refused = Assert.ThrowsAny<IOException>(() => AppFiles.Save([tree], staging, Serilog.Core.Logger.None));

        Assert.Contains($"is nested more than {Crik.Cli.Interop.DirectoryHandle.MaxTreeDepth} directories deep below the path in additionalPaths", refused.Message,
            StringComparison.Ordinal);
        store.Abandon(staging);
    }

    /// <summary>
    /// inotifyIncompatiblePaths: a directory on the way is another user's link to a directory of root's. Nothing there is deleted,
    /// and the refusal says which link. Before, crik deleted through it, as root.
    /// </summary>
    [NamespaceFact]
    public void DeletingInotifyIncompatiblePathsNeverGoesThroughAnotherUsersLink()
    {
        string victim = Directory.CreateDirectory(Path.Combine(_root, "victim", "cache")).FullName;
        File.WriteAllText(Path.Combine(victim, "kept"), "kept");
        string app = Path.Combine(_root, "app");
        File.CreateSymbolicLink(app, Path.Combine(_root, "victim"));
        HostCommand.MustRun("chown", "-h", "1000:1000", app);

        IOException refused = Assert.ThrowsAny<IOException>(() => AppFiles.DeleteInotifyIncompatible([Path.Combine(app, "cache")], Serilog.Core.Logger.None));

        Assert.Contains($"crik does not delete {app}/cache: {app} is a symbolic link of uid 1000", refused.Message, StringComparison.Ordinal);
        Assert.Equal("kept", File.ReadAllText(Path.Combine(victim, "kept")));
    }

    /// <summary>inotifyIncompatiblePaths through the image's own links (root's) are deleted, and a link among them is removed, not followed.</summary>
    [NamespaceFact]
    public void DeletingInotifyIncompatiblePathsFollowsRootsLinksAndRemovesALinkItself()
    {
        string real = Directory.CreateDirectory(Path.Combine(_root, "run", "app", "cache")).FullName;
        File.WriteAllText(Path.Combine(real, "x"), "x");
        string elsewhere = Directory.CreateDirectory(Path.Combine(_root, "elsewhere")).FullName;
        File.WriteAllText(Path.Combine(elsewhere, "kept"), "kept");
        File.CreateSymbolicLink(Path.Combine(_root, "run", "app", "socket-dir"), elsewhere);
        string linked = Path.Combine(_root, "var-run");
        File.CreateSymbolicLink(linked, Path.Combine(_root, "run")); // root's, as /var/run -> /run is in Debian's images

        AppFiles.DeleteInotifyIncompatible([Path.Combine(linked, "app", "cache"), Path.Combine(linked, "app", "socket-dir"), Path.Combine(linked, "missing")],
            Serilog.Core.Logger.None);

        Assert.False(Directory.Exists(real));
        Assert.False(File.Exists(Path.Combine(_root, "run", "app", "socket-dir")) || Directory.Exists(Path.Combine(_root, "run", "app", "socket-dir")));
        Assert.Equal("kept", File.ReadAllText(Path.Combine(elsewhere, "kept")));
    }

    [NamespaceFact]
    public void APutBackFollowsTheImagesOwnLinksSuchAsVarRunToRun()
    {
        string real = Directory.CreateDirectory(Path.Combine(_root, "run")).FullName;
        string tree = Path.Combine(real, "app");
        Directory.CreateDirectory(tree);
        File.WriteAllText(Path.Combine(tree, "pid"), "42");
        string linked = Path.Combine(_root, "var-run");
        File.CreateSymbolicLink(linked, real); // root's, as /var/run -> /run is in Debian's images
        using var store = new VolumeGenerationStore(Path.Combine(_root, "images"), new LoggerConfiguration().CreateLogger());
        using (StagingCheckpoint staging = store.BeginCheckpoint())
        {
            List<SavedFile> saved = AppFiles.Save([Path.Combine(linked, "app")], staging, Serilog.Core.Logger.None);
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "x");
            store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"], AdditionalPaths = [Path.Combine(linked, "app")], ExtraFiles = saved }, 2);
        }
        Directory.Delete(tree, recursive: true);
        using (RestoreAttempt attempt = store.BeginRestore(store.FindRestorable()!))
        {
            store.PutBackSavedFiles(attempt);
        }
        Assert.Equal("42", File.ReadAllText(Path.Combine(tree, "pid")));
    }

    /// <summary>
    /// A file's and a directory's extended attributes come back with them: a user.* one, an ACL (a named user's read), the
    /// directory's default ACL, and a file capability (set after the owner, whose change drops it). The file is put back over
    /// one of the new container's own that has none. Before, none of them came back.
    /// </summary>
    [NamespaceFact]
    public void ExtendedAttributesAclsAndCapabilitiesComeBackWithTheirFiles()
    {
        string tree = Path.Combine(_root, "app", "state");
        string tool = Path.Combine(Directory.CreateDirectory(tree).FullName, "tool");
        File.WriteAllText(tool, "#!/bin/sh\necho tool\n");
        Chown(tool, 1234, 5678);
        // An ACL entry is tag, permissions (u16 each) and id (u32); the header is version 2. CAP_NET_BIND_SERVICE, permitted and effective.
        const string acl = "02000000" + "01000600ffffffff" + "02000400d2040000" + "04000400ffffffff" + "10000400ffffffff" + "20000000ffffffff";
        SetAttributes(tool, ("user.origin", "75706c6f61642d37"), ("system.posix_acl_access", acl),
            ("security.capability", "01000002" + "00040000" + "00000000" + "00000000" + "00000000"));
        SetAttributes(tree, ("system.posix_acl_default", acl));
        string toolBefore = Attributes(tool), treeBefore = Attributes(tree);
        Assert.Contains("security.capability=", toolBefore, StringComparison.Ordinal);
        // Not one crik keeps (as a security module's label is the node's): not saved, and so not on the file put back.
        SetAttributes(tool, ("trusted.node", "01"));
        using var store = new VolumeGenerationStore(Path.Combine(_root, "images"), new LoggerConfiguration().CreateLogger());
        using (StagingCheckpoint staging = store.BeginCheckpoint())
        {
            List<SavedFile> saved = AppFiles.Save([tree], staging, Serilog.Core.Logger.None);
            Assert.Equal(["security.capability", "system.posix_acl_access", "user.origin"], saved.Single(f => f.Path == tool).Attributes!.Keys);
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "x");
            store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"], AdditionalPaths = [tree], ExtraFiles = saved }, 2);
        }
        // The new container: the directory is its own, without a default ACL, and the file is the image's, without attributes.
        Directory.Delete(tree, recursive: true);
        Directory.CreateDirectory(tree);
        File.WriteAllText(tool, "#!/bin/sh\n");

        using (RestoreAttempt attempt = store.BeginRestore(store.FindRestorable()!))
        {
            store.PutBackSavedFiles(attempt);
        }
        Assert.Equal("#!/bin/sh\necho tool\n", File.ReadAllText(tool));
        Assert.Equal((1234u, 5678u), Owner(tool));
        Assert.Equal(toolBefore, Attributes(tool));
        Assert.Equal(treeBefore, Attributes(tree));
    }

    /// <summary>
    /// An attribute this node refuses (here a capability whose value its kernel cannot read, as a file system that keeps none
    /// refuses them all) is left out, and one line names it: the file is back, with those this node keeps, and the restore goes on.
    /// </summary>
    [NamespaceFact]
    public void AnAttributeThisNodeRefusesIsLeftOutAndALineSaysSo()
    {
        string tree = Directory.CreateDirectory(Path.Combine(_root, "app", "state")).FullName;
        string data = Path.Combine(tree, "data");
        File.WriteAllText(data, "saved");
        SetAttributes(data, ("user.kept", "6b657074"));
        var log = new Crik.Cli.Tests.Observing.LogLines();
        using var store = new VolumeGenerationStore(Path.Combine(_root, "images"), log.Logger);
        using (StagingCheckpoint staging = store.BeginCheckpoint())
        {
            List<SavedFile> saved = AppFiles.Save([tree], staging, Serilog.Core.Logger.None);
            saved = [.. saved.Select(f => f.Path == data ? f with { Attributes = new Dictionary<string, string>(f.Attributes!) { ["security.capability"] = "eA==" } } : f)];
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "x");
            store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"], AdditionalPaths = [tree], ExtraFiles = saved }, 2);
        }
        Directory.Delete(tree, recursive: true);

        using (RestoreAttempt attempt = store.BeginRestore(store.FindRestorable()!))
        {
            store.PutBackSavedFiles(attempt);
        }
        Assert.Equal("saved", File.ReadAllText(data));
        Assert.Equal("user.kept=6b657074", Attributes(data));
        Assert.Contains(log.Lines, l => l.StartsWith("Warning: 1 extended attributes of the saved files were not put back", StringComparison.Ordinal)
            && l.Contains($"{data}: security.capability (Invalid argument)", StringComparison.Ordinal));
    }

    /// <summary>
    /// A saved file's access ACL this node refuses: the file is back without it, and the owning group gets what the ACL gave it
    /// (its entry within the mask), not the mask, which the mode's group bits held beside the ACL. Here the kernel refuses the
    /// ACL for its entries' order, as a node can refuse one for its own reasons.
    /// </summary>
    [NamespaceFact]
    public void WithoutItsRefusedAclTheOwningGroupGetsNoMoreThanTheAclGaveIt()
    {
        string tree = Directory.CreateDirectory(Path.Combine(_root, "app", "state")).FullName;
        string data = Path.Combine(tree, "data");
        File.WriteAllText(data, "saved");
        File.SetUnixFileMode(data, (UnixFileMode)0x1b8 /* 0670: the group bits as an ACL's mask rwx makes them */);
        // The owner rw, the owning group r, uid 1234 rwx (after the group: out of order), the mask rwx, others nothing.
        string refusedAcl = Convert.ToBase64String(Convert.FromHexString(
            "02000000" + "01000600ffffffff" + "04000400ffffffff" + "02000700d2040000" + "10000700ffffffff" + "20000000ffffffff"));
        var log = new Crik.Cli.Tests.Observing.LogLines();
        using var store = new VolumeGenerationStore(Path.Combine(_root, "images"), log.Logger);
        using (StagingCheckpoint staging = store.BeginCheckpoint())
        {
            List<SavedFile> saved = AppFiles.Save([tree], staging, Serilog.Core.Logger.None);
            saved = [.. saved.Select(f => f.Path == data ? f with { Attributes = new Dictionary<string, string> { ["system.posix_acl_access"] = refusedAcl } } : f)];
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "x");
            store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"], AdditionalPaths = [tree], ExtraFiles = saved }, 2);
        }
        Directory.Delete(tree, recursive: true);

        using (RestoreAttempt attempt = store.BeginRestore(store.FindRestorable()!))
        {
            store.PutBackSavedFiles(attempt);
        }
        Assert.Equal("saved", File.ReadAllText(data));
        Assert.Equal((UnixFileMode)0x1a0 /* 0640 */, File.GetUnixFileMode(data));
        Assert.Equal("", Attributes(data));
        Assert.Contains(log.Lines, l => l.Contains($"{data}: system.posix_acl_access (Invalid argument)", StringComparison.Ordinal));
    }

    /// <summary>
    /// The new container's directory has a default ACL, which a file made in it takes: the saved directory and file had no ACL,
    /// and come back without one. Before, the file put back had the directory's ACL.
    /// </summary>
    [NamespaceFact]
    public void AnAclTheSavedFilesDidNotHaveIsNotLeftOnThem()
    {
        string tree = Directory.CreateDirectory(Path.Combine(_root, "app", "state")).FullName;
        string data = Path.Combine(tree, "data");
        File.WriteAllText(data, "saved");
        using var store = new VolumeGenerationStore(Path.Combine(_root, "images"), new LoggerConfiguration().CreateLogger());
        using (StagingCheckpoint staging = store.BeginCheckpoint())
        {
            List<SavedFile> saved = AppFiles.Save([tree], staging, Serilog.Core.Logger.None);
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "x");
            store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"], AdditionalPaths = [tree], ExtraFiles = saved }, 2);
        }
        File.Delete(data);
        SetAttributes(tree, ("system.posix_acl_default", "02000000" + "01000600ffffffff" + "02000400d2040000" + "04000400ffffffff" + "10000400ffffffff" + "20000000ffffffff"));

        using (RestoreAttempt attempt = store.BeginRestore(store.FindRestorable()!))
        {
            store.PutBackSavedFiles(attempt);
        }
        Assert.Equal("saved", File.ReadAllText(data));
        Assert.Equal("", Attributes(data));
        Assert.Equal("", Attributes(tree));
    }

    private static void SetAttributes(string path, params (string Name, string Hex)[] attributes)
    {
        foreach ((string name, string hex) in attributes)
        {
            HostCommand.MustRun("python3", "-c", "import os, sys; os.setxattr(sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]))", path, name, hex);
        }
    }

    /// <summary>Every extended attribute of a file, as "name=hex;...", read by another program than crik.</summary>
    private static string Attributes(string path) => HostCommand.Output("python3", "-c",
        "import os, sys; p = sys.argv[1]; print(';'.join(f'{n}={os.getxattr(p, n).hex()}' for n in sorted(os.listxattr(p))))", path).Trim();

    private static (uint, uint) Owner(string path)
    {
        var status = Crik.Cli.Interop.FileStatus.TryRead(path)!.Value;
        return (status.Uid, status.Gid);
    }

    private static void Chown(string path, int uid, int gid)
    {
        using var chown = System.Diagnostics.Process.Start("chown", [$"{uid}:{gid}", path]);
        chown.WaitForExit();
        Assert.Equal(0, chown.ExitCode);
    }
}
