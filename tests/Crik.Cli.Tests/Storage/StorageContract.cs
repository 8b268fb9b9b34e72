using System.Text;
using System.Text.Json;
using Crik.Cli.Chunks;
using Crik.Cli.ImageStore;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Records;
using Crik.Cli.Tests.Support;

namespace Crik.Cli.Tests.Storage;

/// <summary>
/// What every <see cref="IStoreBackend"/> must do, tested once and run against each backend (a
/// volume, object storage), in the manner of restic's backend tests: each primitive on its own, with
/// generations staged and published through the backend itself. Every call goes through the full stack of wrappers a store makes
/// (<see cref="StoreStack"/>: counted, retried, fenced by a lock that is held, bounded by a step's deadline that is running),
/// uploads and the store's side on this node included.
/// </summary>
public abstract partial class StorageContract : IDisposable
{
    private StoreStack? _stack;

    /// <summary>The stack over a new backend over this test's store, as a new crik opens it (<see cref="Stacked"/>).</summary>
    internal abstract StoreStack NewStack();

    /// <summary>The backend a case works with, through its wrappers (a second crik is <see cref="NewBackend"/>).</summary>
    internal IStoreBackend Backend => (_stack ??= NewStack()).Top;

    /// <summary>The store's side on this node, through the same wrappers.</summary>
    internal INodeDirectories Node => (_stack ??= NewStack()).Node;

    /// <summary>Another crik's backend over the same store, through its own wrappers.</summary>
    internal IStoreBackend NewBackend() => NewStack().Top;

    /// <summary>The stack a store makes over <paramref name="backend"/>, with a lock held (the fence lets every write through) and a step's deadline running.</summary>
    internal static StoreStack Stacked(IStoreBackend backend, INodeDirectories node, BackendRetry retry)
    {
        StoreStack stack = StoreStack.Over(backend, node, retry, TimeSpan.FromSeconds(30));
        stack.Fence.Hold(new SettableLock()); // held for the whole test
        stack.Deadline.Within(TimeSpan.FromMinutes(10)); // the scope stays open for the test's life
        return stack;
    }

    /// <summary>A new staging area for <paramref name="generation"/> over the backend, as <see cref="GenerationStore"/> begins one (<see cref="StagingCheckpoint.Begin"/>).</summary>
    internal StagingCheckpoint Stage(long generation)
    {
        _ = Backend;
        return StagingCheckpoint.Begin(_stack!, Serilog.Core.Logger.None, generation, [], ChunkCodec.Plain);
    }

    /// <summary>Stages and publishes a generation whose one image is a single chunk of <paramref name="pages"/> in its own pack.</summary>
    internal byte[] Publish(long generation, string pages = "pages")
    {
        using StagingCheckpoint staging = Stage(generation);
        byte[] json = Seal(staging, pages);
        staging.Publish(StoreLayout.CommittedName(generation), json, mac: null, whyNot: () => null);
        return json;
    }

    /// <summary>Adds <paramref name="pages"/> to the staged pack, seals it and returns the manifest that would commit it.</summary>
    internal static byte[] Seal(StagingCheckpoint staging, string pages)
    {
        ChunkRef chunk = staging.Pack.Add(Encoding.UTF8.GetBytes(pages));
        (List<ManifestFile> files, _) = staging.Seal(ChunkCodec.Plain);
        var manifest = new Manifest
        {
            Generation = staging.Generation,
            RootPid = 9001,
            Command = ["app"],
            Files = [.. files, new ManifestFile("pages-1.img", chunk.Length, [], [chunk])],
        };
        return JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.Manifest);
    }

    /// <summary>What the backend holds, read as generations (<see cref="StoreListingReader"/>).</summary>
    internal StoreListing Listing() => Backend.ReadListing(Serilog.Core.Logger.None);

    internal byte[]? ManifestAt(string location, IStoreBackend? backend = null) =>
        (backend ?? Backend).Read($"{location}/{Manifest.FileName}", ManifestReader.MaxBytes);

    internal static Manifest Parse(byte[] json) => JsonSerializer.Deserialize(json, ManifestJsonContext.Default.Manifest)!;

    internal static string Text(byte[]? content) => content is null ? "(absent)" : Encoding.UTF8.GetString(content);

    internal static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public void Dispose()
    {
        _stack?.Top.Dispose();
        DisposeStore();
        GC.SuppressFinalize(this);
    }

    /// <summary>Removes what the subclass made for the store (its directory, its server).</summary>
    protected abstract void DisposeStore();
}
