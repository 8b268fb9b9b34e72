using Crik.Cli.ImageStore;
using Crik.Cli.Interop;
using Crik.Cli.Records;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>Links planted in the image directory are refused or left alone, never followed.</summary>
[Trait("Category", "Unit")]
public sealed class PlantedLinkTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("crik-links-").FullName;
    private readonly string _dir;
    private readonly string _outside;
    private readonly VolumeGenerationStore _store;

    public PlantedLinkTests()
    {
        _dir = Directory.CreateDirectory(Path.Combine(_root, "images")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_root, "outside")).FullName;
        File.WriteAllText(Path.Combine(_outside, "victim"), "precious");
        _store = new VolumeGenerationStore(_dir, new LoggerConfiguration().CreateLogger());
    }

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Theory]
    [InlineData("logs")]
    [InlineData("set-aside")]
    [InlineData("retired")]
    [InlineData("packs")]
    [InlineData(".lock")]
    public void ALinkWhereTheStoreKeepsItsOwnEntriesIsRefusedInOneLine(string name)
    {
        File.CreateSymbolicLink(Path.Combine(_dir, name), name == ".lock" ? Path.Combine(_outside, "victim") : _outside);
        var refused = Assert.Throws<UnsafeEntryException>(() => _store.TryLock(TimeSpan.Zero));
        Assert.StartsWith($"{_dir}/{name} is a symbolic link", refused.Message, StringComparison.Ordinal);
        Assert.EndsWith("crik never follows links in its image directory: remove it", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["victim"], Directory.GetFileSystemEntries(_outside).Select(Path.GetFileName));
        Assert.Equal("precious", File.ReadAllText(Path.Combine(_outside, "victim")));
    }

    /// <summary>
    /// A generation set aside whose manifest is a directory, a link or a FIFO (set aside for being so, or planted): before, every
    /// later checkpoint failed on it ("Not checkpointing: ... where crik expects a file"), and the pods that followed restored the
    /// last good one until restoreAttempts gave it up too.
    /// </summary>
    [Theory]
    [InlineData("directory")]
    [InlineData("link")]
    [InlineData("fifo")]
    public void ASetAsideManifestThatIsNotAFileDoesNotStopTheNextCheckpoint(string kind)
    {
        string manifest = Path.Combine(Directory.CreateDirectory(Path.Combine(_dir, "set-aside", "checkpoint-000001-20260101T000000Z")).FullName, "manifest.json");
        switch (kind)
        {
            case "directory":
                Directory.CreateDirectory(manifest);
                break;
            case "link":
                File.CreateSymbolicLink(manifest, Path.Combine(_outside, "victim"));
                break;
            default:
                Crik.TestSupport.HostCommand.MustRun("mkfifo", manifest);
                break;
        }
        for (int i = 0; i < 2; i++)
        {
            using StagingCheckpoint staging = _store.BeginCheckpoint();
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "x");
            _store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"] }, 2);
        }
        Assert.Equal(3, _store.FindRestorable()!.Manifest.Generation);
        Assert.Equal("precious", File.ReadAllText(Path.Combine(_outside, "victim")));
    }

    /// <summary>
    /// A checkpoint that saved no files, whose extra-files a file or a link took the place of: nothing is read there, and it
    /// restores. Before, its put-back refused the entry and the pod started the app fresh.
    /// </summary>
    [Theory]
    [InlineData("file")]
    [InlineData("link")]
    public void SomethingAtExtraFilesOfACheckpointThatSavedNoFilesDoesNotFailItsRestore(string kind)
    {
        using (StagingCheckpoint staging = _store.BeginCheckpoint())
        {
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "x");
            _store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"], ExtraFiles = [] }, 2);
        }
        string extra = Path.Combine(_dir, "checkpoint-000001", AppFiles.ExtraFilesDir);
        if (Directory.Exists(extra))
        {
            Directory.Delete(extra);
        }
        if (kind == "file")
        {
            File.WriteAllText(extra, "x");
        }
        else
        {
            File.CreateSymbolicLink(extra, _outside);
        }
        using RestoreAttempt attempt = _store.BeginRestore(_store.FindRestorable()!);
        _store.PutBackSavedFiles(attempt);
        Assert.Equal("precious", File.ReadAllText(Path.Combine(_outside, "victim")));
    }

    /// <summary>
    /// A directory or link in restores/ named as the mark crik writes when the app ends on its own (finished-NNNNNN): before, it
    /// retired every checkpoint up to that number without a word, and the next pod started the app fresh.
    /// </summary>
    [Theory]
    [InlineData("directory")]
    [InlineData("link")]
    public void SomethingPlantedAsAFinishedMarkRetiresNothing(string kind)
    {
        using (StagingCheckpoint staging = _store.BeginCheckpoint())
        {
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "x");
            _store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"] }, 2);
        }
        string mark = Path.Combine(Directory.CreateDirectory(Path.Combine(_dir, "restores")).FullName, "finished-000009");
        if (kind == "directory")
        {
            Directory.CreateDirectory(mark);
        }
        else
        {
            File.CreateSymbolicLink(mark, Path.Combine(_outside, "victim"));
        }
        Assert.Equal(1, _store.FindRestorable()!.Manifest.Generation);
        Assert.Equal("precious", File.ReadAllText(Path.Combine(_outside, "victim")));
    }

    [Fact]
    public void LinksNamedLikeCheckpointsOrStagingAreIgnoredAndNeverMoved()
    {
        Directory.CreateDirectory(Path.Combine(_outside, "fake"));
        File.CreateSymbolicLink(Path.Combine(_dir, "checkpoint-000005"), Path.Combine(_outside, "fake"));
        File.CreateSymbolicLink(Path.Combine(_dir, ".staging-000006-abcdabcd"), Path.Combine(_outside, "fake"));
        Assert.Null(_store.FindRestorable());
        Assert.True(File.Exists(Path.Combine(_dir, "checkpoint-000005")) || Directory.Exists(Path.Combine(_dir, "checkpoint-000005")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_outside, "fake")));
        Assert.False(Directory.Exists(_store.SetAsideDir));
    }

    [Fact]
    public void PlantedLogLinksAreReplacedNotWrittenThroughAndPruningDeletesOnlyLinks()
    {
        Directory.CreateDirectory(_store.LogDir);
        File.CreateSymbolicLink(Path.Combine(_store.LogDir, "dump-000001.log"), Path.Combine(_outside, "victim"));
        File.CreateSymbolicLink(Path.Combine(_store.LogDir, "dump-000001.log.out"), Path.Combine(_outside, "victim"));
        for (int i = 0; i < StoreLayout.KeepLogFiles + 3; i++)
        {
            string link = Path.Combine(_store.LogDir, $"old-{i}.log");
            File.CreateSymbolicLink(link, Path.Combine(_outside, "victim"));
        }
        using (StagingCheckpoint staging = _store.BeginCheckpoint())
        {
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "x");
            File.WriteAllText(Path.Combine(staging.Path, staging.Criu.LogName), "criu's log");
            File.WriteAllText(Path.Combine(staging.Path, staging.Criu.LogName + ".out"), "criu's output");
            _store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"] }, 2);
        }
        Assert.Equal("precious", File.ReadAllText(Path.Combine(_outside, "victim")));
        Assert.Equal("criu's log", File.ReadAllText(Path.Combine(_store.LogDir, "dump-000001.log")));
        Assert.Null(new FileInfo(Path.Combine(_store.LogDir, "dump-000001.log")).LinkTarget);
    }
}
