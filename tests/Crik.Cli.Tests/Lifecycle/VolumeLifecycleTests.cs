using Crik.Cli.ImageStore;
using Crik.Cli.Model;
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
