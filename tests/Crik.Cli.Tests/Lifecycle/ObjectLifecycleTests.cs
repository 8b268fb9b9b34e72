using Crik.Cli.ImageStore;
using Crik.Cli.Model;
using Crik.Cli.ObjectStorage;
using Crik.Cli.Tests.ObjectStorage;
using Crik.TestSupport;
using Serilog;

namespace Crik.Cli.Tests.Lifecycle;

/// <summary>The lifecycle's rules in object storage (s3rver on loopback), each test under a prefix of its own.</summary>
[Xunit.Collection(ObjectStorage.PodsKilledMidDump.Name)]
public sealed class ObjectLifecycleTests : LifecycleContract, IDisposable
{
    private readonly S3Server? _server = S3Server.Missing() is null || Prerequisites.InCi ? new S3Server() : null;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _prefix = $"lifecycle-{Guid.NewGuid():N}/";

    internal override GenerationStore NewStore(int restoreAttempts = 3) =>
        new ObjectGenerationStore(Client(), new LoggerConfiguration().CreateLogger()) { RestoreAttempts = restoreAttempts };

    internal override string ReasonOf(ListedGeneration setAside) =>
        System.Text.Encoding.UTF8.GetString(Client().TryGet($"{StoreLayout.SetAsideDir}/{setAside.Name}/{StoreLayout.SetAsideReasonFile}")!);

    protected override void PlantMark(string name) =>
        Client().Put($"{StoreLayout.RestoresDir}/{name}", System.Text.Encoding.UTF8.GetBytes("2026-11-25T00:00:00Z test\n"));

    protected override void PlantRetiredCopy(long generation)
    {
        string name = StoreLayout.CommittedName(generation);
        Client().Put($"{StoreLayout.RetiredDir}/{name}/{Manifest.FileName}", Client().TryGet($"{name}/{Manifest.FileName}")!);
    }

    protected override bool LogKept(string name) => Client().TryGet($"{StoreLayout.LogDir}/{name}") is not null;

    protected override bool IsInsideTheStore(string path) => false;

    public void Dispose()
    {
        _http.Dispose();
        _server?.Dispose();
    }

    private S3Client Client() => TestS3.Client(_server!, _http, _prefix);
}
