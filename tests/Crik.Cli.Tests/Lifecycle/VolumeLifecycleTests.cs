using Crik.Cli.ImageStore;
using Crik.Cli.Records;
using Crik.TestSupport;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.Lifecycle;

/// <summary>The lifecycle's rules on a volume (a temporary directory).</summary>
[Trait("Category", "Unit")]
[Collection(ObjectStorage.PodsKilledMidDump.Name)]
public sealed class VolumeLifecycleTests : LifecycleContract, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-lifecycle-").FullName;

    internal override GenerationStore NewStore(int restoreAttempts = 3) =>
        new VolumeGenerationStore(_dir, new LoggerConfiguration().CreateLogger()) { RestoreAttempts = restoreAttempts };

    internal override string ReasonOf(ListedGeneration setAside) =>
        File.ReadAllText(Path.Combine(_dir, StoreLayout.SetAsideDir, setAside.Name, StoreLayout.SetAsideReasonFile));

    protected override void PlantMark(string name)
    {
        Directory.CreateDirectory(Path.Combine(_dir, StoreLayout.RestoresDir));
        File.WriteAllText(Path.Combine(_dir, StoreLayout.RestoresDir, name), "2026-11-25T00:00:00Z test\n");
    }

    protected override void PlantRetiredCopy(long generation)
    {
        string name = StoreLayout.CommittedName(generation);
        string to = Path.Combine(_dir, StoreLayout.RetiredDir, name);
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(Path.Combine(_dir, name)))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    protected override bool LogKept(string name) => File.Exists(Path.Combine(_dir, StoreLayout.LogDir, name));

    protected override bool IsInsideTheStore(string path) => path.StartsWith(_dir, StringComparison.Ordinal);

    protected override List<string> NamesIn(string directory) =>
        Directory.Exists(Path.Combine(_dir, directory))
            ? Directory.EnumerateFileSystemEntries(Path.Combine(_dir, directory)).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];

    protected override void Plant(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_dir, path))!);
        File.WriteAllText(Path.Combine(_dir, path), content);
    }

    protected override void Remove(string path) => File.Delete(Path.Combine(_dir, path));

    protected override void PlantLogs(IReadOnlyList<IReadOnlyList<string>> batchesOldestFirst)
    {
        Directory.CreateDirectory(Path.Combine(_dir, StoreLayout.LogDir));
        for (int batch = 0; batch < batchesOldestFirst.Count; batch++)
        {
            DateTime written = DateTime.UtcNow.AddMinutes(batch - batchesOldestFirst.Count);
            foreach (string name in batchesOldestFirst[batch])
            {
                string log = Path.Combine(_dir, StoreLayout.LogDir, name);
                File.WriteAllText(log, "x");
                File.SetLastWriteTimeUtc(log, written);
            }
        }
    }

    /// <summary>On a volume a dump in progress is a .staging-* directory, visible: one a crash left is set aside, never restored.</summary>
    [SkippableLifecycleFact]
    public void AStagingDirectoryACrashLeftIsSetAsideAndNeverRestored()
    {
        Commit("one");
        DumpKilledMidway();
        using GenerationStore store = NewStore();
        Assert.Equal(1, store.FindRestorable()!.Manifest.Generation);
        Assert.StartsWith("staging-000002-", Assert.Single(NamesIn(StoreLayout.SetAsideDir)), StringComparison.Ordinal);
        Assert.DoesNotContain(NamesIn(""), n => n.StartsWith(StoreLayout.StagingPrefix, StringComparison.Ordinal));
        Assert.Equal([("committed", 1, 0)], Listed(store));
        Commit("three", store);
        Assert.Equal(3, store.FindRestorable()!.Manifest.Generation);
    }

    /// <summary>A volume has owners and modes (object storage has neither): CRIU, as root, never restores a directory others could write.</summary>
    [SkippableLifecycleFact]
    public void AGenerationDirectoryOthersCanWriteIsSetAsideAndTheOlderOneIsRestored()
    {
        Commit("one");
        Commit("two");
        File.SetUnixFileMode(Path.Combine(_dir, "checkpoint-000002"), (UnixFileMode)0x1ff /* 0777 */);
        using GenerationStore store = NewStore();
        Assert.Equal(1, store.FindRestorable()!.Manifest.Generation);
        ListedGeneration setAside = Assert.Single(store.ListGenerations(verify: false), g => g.State == "set aside");
        Assert.Contains("so crik (uid", ReasonOf(setAside), StringComparison.Ordinal);
    }

    /// <summary>
    /// A pod's fsGroup (kubelet's default policy) makes every file of the volume group-writable, directories setgid, at each
    /// mount, by a group the app's processes have too: crik still restores the newest, and before the app runs leaves none of
    /// its generations writable by that group, the older ones included.
    /// </summary>
    [Fact]
    public void AVolumeAnFsGroupMadeGroupWritableIsRestoredAndEveryGenerationMadePrivateAgain()
    {
        Commit("one");
        Commit("two");
        foreach (string entry in Directory.EnumerateFileSystemEntries(_dir, "*", SearchOption.AllDirectories).Append(_dir))
        {
            bool directory = Directory.Exists(entry);
            UnixFileMode mask = directory ? (UnixFileMode)0xdf8 /* 02770 */ : (UnixFileMode)0x1b0 /* 0660 */;
            File.SetUnixFileMode(entry, File.GetUnixFileMode(entry) | mask);
        }
        using GenerationStore store = NewStore();
        Assert.Equal(2, store.FindRestorable()!.Manifest.Generation);
        Assert.Empty(NamesIn(StoreLayout.SetAsideDir));
        foreach (string generation in new[] { "checkpoint-000001", "checkpoint-000002" })
        {
            string top = Path.Combine(_dir, generation);
            foreach (string entry in Directory.EnumerateFileSystemEntries(top, "*", SearchOption.AllDirectories).Append(top))
            {
                Assert.True((File.GetUnixFileMode(entry) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0, $"{entry} is still group-writable");
            }
        }
    }

    /// <summary>
    /// On a volume a move is one rename and is never cut short: a generation also in retired/ or set-aside/ was copied there
    /// (an operator's copy for a post-mortem). The committed one stays committed and restorable, and is never deleted.
    /// </summary>
    [Fact]
    public void ACopyOfAGenerationInRetiredOrSetAsideLeavesItCommitted()
    {
        Commit("one");
        PlantRetiredCopy(1);
        string copy = Path.Combine(_dir, StoreLayout.SetAsideDir, "checkpoint-000001-keep");
        Directory.CreateDirectory(copy);
        foreach (string file in Directory.GetFiles(Path.Combine(_dir, "checkpoint-000001")))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }
        using (GenerationStore store = NewStore())
        {
            Assert.Equal(1, store.FindRestorable()!.Manifest.Generation);
            Commit("two", store);
        }
        Assert.True(File.Exists(Path.Combine(_dir, "checkpoint-000001", Manifest.FileName)));
        using GenerationStore next = NewStore();
        Assert.Equal(2, next.FindRestorable()!.Manifest.Generation);
    }

    /// <summary>
    /// A restore record that is a planted link, a directory or a FIFO is no record crik wrote whole: it counts as one with no
    /// time (never written whole), it is never followed, and the generation is still restored.
    /// </summary>
    [Fact]
    public void ARestoreRecordThatIsNotAFileIsNeverReadAndBlocksNoRestore()
    {
        Commit("one");
        string restores = Path.Combine(_dir, StoreLayout.RestoresDir);
        Directory.CreateDirectory(restores);
        File.CreateSymbolicLink(Path.Combine(restores, "000001-001"), "/etc/hostname");
        Directory.CreateDirectory(Path.Combine(restores, "000001-002"));
        HostCommand.MustRun("mkfifo", Path.Combine(restores, "000001-003"));
        using GenerationStore store = NewStore();
        CommittedCheckpoint chosen = store.FindRestorable()!;
        Assert.Equal(1, chosen.Manifest.Generation);
        Assert.Equal(3, chosen.Restores.Count);
        Assert.All(chosen.Restores, r => Assert.Null(r.At));
    }

    /// <summary>As the README's threat model says: a writer of the store can roll back, and crik cannot tell.</summary>
    [Fact]
    public void AGenerationAWriterOfTheStorePutsBackIsRestoredAgain()
    {
        Commit("one");
        using (GenerationStore store = NewStore())
        {
            Assert.Equal(1, store.RetireCommitted());
        }
        Directory.Move(Path.Combine(_dir, StoreLayout.RetiredDir, "checkpoint-000001"), Path.Combine(_dir, "checkpoint-000001"));
        File.Delete(Path.Combine(_dir, StoreLayout.RestoresDir, StoreLayout.FinishedMarkName(1)));
        using GenerationStore next = NewStore();
        Assert.Equal(1, next.FindRestorable()!.Manifest.Generation);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
