using Crik.Cli.ImageStore;
using Crik.Cli.ObjectStorage;
using Crik.Cli.Records;
using Crik.Cli.Tests.ObjectStorage;
using Crik.TestSupport;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.Lifecycle;

/// <summary>The lifecycle's rules in object storage (s3rver on loopback), each test under a prefix of its own.</summary>
[Collection(ObjectStorage.PodsKilledMidDump.Name)]
public sealed class ObjectLifecycleTests : LifecycleContract, IDisposable
{
    private readonly S3Server? _server = S3Server.Missing() is null || Prerequisites.InCi ? new S3Server() : null;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _prefix = $"lifecycle-{Guid.NewGuid():N}/";

    internal override GenerationStore NewStore(int restoreAttempts = 3) =>
        new ObjectGenerationStore(Client(), new LoggerConfiguration().CreateLogger()) { RestoreAttempts = restoreAttempts };

    internal override string ReasonOf(ListedGeneration setAside) =>
        System.Text.Encoding.UTF8.GetString(Client().TryGet($"{StoreLayout.SetAsideDir}/{setAside.Name}/{StoreLayout.SetAsideReasonFile}")!);

    /// <summary>crik killed in the middle of a move to retired/ that copies before it deletes (object storage).</summary>
    [SkippableLifecycleFact]
    public void AGenerationFoundBothCommittedAndRetiredCountsAsRetired()
    {
        Commit("one");
        PlantRetiredCopy(1);
        using (GenerationStore store = NewStore())
        {
            Assert.Equal([("retired", 1, 0)], Listed(store));
            Assert.Null(store.FindRestorable());
        }
        using GenerationStore next = NewStore();
        Assert.Equal([("retired", 1, 0)], Listed(next));
    }

    protected override void PlantMark(string name) =>
        Client().Put($"{StoreLayout.RestoresDir}/{name}", System.Text.Encoding.UTF8.GetBytes("2026-11-25T00:00:00Z test\n"));

    protected override void PlantRetiredCopy(long generation)
    {
        string name = StoreLayout.CommittedName(generation);
        Client().Put($"{StoreLayout.RetiredDir}/{name}/{Manifest.FileName}", Client().TryGet($"{name}/{Manifest.FileName}")!);
    }

    protected override bool LogKept(string name) => Client().TryGet($"{StoreLayout.LogDir}/{name}") is not null;

    protected override bool IsInsideTheStore(string path) => false;

    protected override List<string> NamesIn(string directory)
    {
        string prefix = directory.Length == 0 ? "" : directory + "/";
        return Client().List(prefix).Select(o => o.Name[prefix.Length..].Split('/')[0]).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    protected override void Plant(string path, string content) => Client().Put(path, System.Text.Encoding.UTF8.GetBytes(content));

    protected override void Remove(string path) => Client().Delete(path);

    /// <summary>s3rver lists when an object was written to the second: batches are written more than a second apart.</summary>
    protected override void PlantLogs(IReadOnlyList<IReadOnlyList<string>> batchesOldestFirst)
    {
        for (int batch = 0; batch < batchesOldestFirst.Count; batch++)
        {
            if (batch > 0)
            {
                Thread.Sleep(TimeSpan.FromSeconds(1.1));
            }
            foreach (string name in batchesOldestFirst[batch])
            {
                Client().Put($"{StoreLayout.LogDir}/{name}", "x"u8.ToArray());
            }
        }
    }

    /// <summary>
    /// In object storage a dump in progress is an upload nobody sees and a scratch directory on the
    /// node: a crash leaves nothing to set aside, and the older generation is restored.
    /// </summary>
    [SkippableLifecycleFact]
    public void ADumpKilledBeforeItsManifestLeavesNothingToSetAside()
    {
        Commit("one");
        DumpKilledMidway();
        using GenerationStore store = NewStore();
        Assert.Equal(1, store.FindRestorable()!.Manifest.Generation);
        Assert.Empty(NamesIn(StoreLayout.SetAsideDir));
        Assert.Equal([("committed", 1, 0)], Listed(store));
        Commit("two", store);
        Assert.Equal(2, store.FindRestorable()!.Manifest.Generation);
    }

    public void Dispose()
    {
        _http.Dispose();
        _server?.Dispose();
    }

    private S3Client Client() => TestS3.Client(_server!, _http, _prefix);
}
