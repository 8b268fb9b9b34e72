using System.Text.Json;
using Crik.Cli.Chunks;
using Crik.Cli.ImageStore;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Interop;
using Crik.Cli.Records;
using Serilog;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Storage;

/// <summary>
/// <see cref="GenerationVerifier"/> on a volume, through the backend's primitives only: who made a generation's
/// directory, and files beside its manifest that are links, never followed.
/// </summary>
[Trait("Category", "Unit")]
public sealed class VolumeVerifierTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("crik-verifier-").FullName;
    private readonly string _dir;
    private readonly string _outside;
    private readonly VolumeBackend _backend;

    public VolumeVerifierTests()
    {
        _dir = Directory.CreateDirectory(Path.Combine(_root, "images")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_root, "outside")).FullName;
        File.WriteAllText(Path.Combine(_outside, "victim"), "precious");
        _backend = new VolumeBackend(_dir, new LoggerConfiguration().CreateLogger());
    }

    public void Dispose()
    {
        _backend.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void AGenerationCrikMadeIsTrustedAndItsContentsAreMadePrivate()
    {
        Publish();
        string file = Path.Combine(_dir, "checkpoint-000001", "core-1.img");
        File.SetUnixFileMode(file, (UnixFileMode)0x1a4);
        Assert.Null(GenerationVerifier.Untrusted(_backend, _backend.NodeSide, "checkpoint-000001"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public void ADirectoryOthersCanWriteIsNotTrusted()
    {
        Publish();
        File.SetUnixFileMode(Path.Combine(_dir, "checkpoint-000001"), (UnixFileMode)0x1fa /* 0772 */);
        Assert.StartsWith($"its directory belongs to uid {Posix.EffectiveUserId} (group {Libc.GetEffectiveGroupId()}) with mode 772, so crik",
            GenerationVerifier.Untrusted(_backend, _backend.NodeSide, "checkpoint-000001"), StringComparison.Ordinal);
    }

    /// <summary>Writable by a group crik is not in: someone else's.</summary>
    [RootFact]
    public void ADirectoryAnotherGroupCanWriteIsNotTrusted()
    {
        Publish();
        string directory = Path.Combine(_dir, "checkpoint-000001");
        Assert.Equal(0, Libc.FchownAt(Libc.AT_FDCWD, directory, uint.MaxValue, ForeignGroup, 0));
        File.SetUnixFileMode(directory, (UnixFileMode)0x1f8 /* 0770 */);
        Assert.StartsWith($"its directory belongs to uid {Posix.EffectiveUserId} (group {ForeignGroup}) with mode 770, so crik",
            GenerationVerifier.Untrusted(_backend, _backend.NodeSide, "checkpoint-000001"), StringComparison.Ordinal);
    }

    /// <summary>
    /// A pod's fsGroup (kubelet, at each mount) gives every file of the volume to that group, group-writable, directories setgid:
    /// a group of crik's own. Trusted, and made private again.
    /// </summary>
    [Fact]
    public void ADirectoryAGroupOfCriksOwnCanWriteIsTrustedAndMadePrivate()
    {
        Publish();
        string directory = Path.Combine(_dir, "checkpoint-000001");
        string file = Path.Combine(directory, "core-1.img");
        File.SetUnixFileMode(directory, (UnixFileMode)0xdf8 /* 02770 */);
        File.SetUnixFileMode(file, (UnixFileMode)0x1b0 /* 0660 */);
        Assert.Null(GenerationVerifier.Untrusted(_backend, _backend.NodeSide, "checkpoint-000001"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    private const uint ForeignGroup = 4242;

    [Fact]
    public void ALinkNamedLikeAGenerationIsNotTrustedAndNotFollowed()
    {
        File.SetUnixFileMode(Path.Combine(_outside, "victim"), (UnixFileMode)0x1a4);
        File.CreateSymbolicLink(Path.Combine(_dir, "checkpoint-000001"), _outside);
        Assert.Contains("with mode 777", GenerationVerifier.Untrusted(_backend, _backend.NodeSide, "checkpoint-000001"), StringComparison.Ordinal);
        Assert.Equal((UnixFileMode)0x1a4, File.GetUnixFileMode(Path.Combine(_outside, "victim")));
    }

    [Fact]
    public void AFileBesideTheManifestReplacedByALinkIsRefusedAndNeverRead()
    {
        Manifest manifest = Publish();
        string file = Path.Combine(_dir, "checkpoint-000001", "core-1.img");
        File.Delete(file);
        File.CreateSymbolicLink(file, Path.Combine(_outside, "victim"));
        using PackReader packs = PackReading.Open(_backend, ChunkCodec.Plain);
        Assert.Equal("core-1.img is a symbolic link, not a regular file", GenerationVerifier.VerifyContents(_backend, _backend.NodeSide, "checkpoint-000001", manifest, packs));
    }

    [Fact]
    public void ALinkOnTheWayToAFileBesideTheManifestIsRefused()
    {
        Manifest manifest = Publish("sub/core-1.img");
        string sub = Path.Combine(_dir, "checkpoint-000001", "sub");
        Directory.Move(sub, Path.Combine(_outside, "sub"));
        File.CreateSymbolicLink(sub, Path.Combine(_outside, "sub"));
        using PackReader packs = PackReading.Open(_backend, ChunkCodec.Plain);
        var refused = Assert.Throws<UnsafeEntryException>(() => GenerationVerifier.VerifyContents(_backend, _backend.NodeSide, "checkpoint-000001", manifest, packs));
        Assert.StartsWith($"{sub} is a symbolic link", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileBesideTheManifestIsCheckedAtItsSizeAndChecksum()
    {
        Manifest manifest = Publish();
        using PackReader packs = PackReading.Open(_backend, ChunkCodec.Plain);
        Assert.Null(GenerationVerifier.VerifyContents(_backend, _backend.NodeSide, "checkpoint-000001", manifest, packs));
        File.WriteAllText(Path.Combine(_dir, "checkpoint-000001", "core-1.img"), "CORE");
        Assert.Equal("core-1.img does not match its checksum", GenerationVerifier.VerifyContents(_backend, _backend.NodeSide, "checkpoint-000001", manifest, packs));
        File.WriteAllText(Path.Combine(_dir, "checkpoint-000001", "core-1.img"), "cores");
        Assert.Equal("core-1.img has 5 bytes, the manifest says 4", GenerationVerifier.VerifyContents(_backend, _backend.NodeSide, "checkpoint-000001", manifest, packs));
    }

    /// <summary>The files beside the manifest are read in the generation's directory, opened once: no request per file.</summary>
    [Fact]
    public void FilesBesideTheManifestAreCheckedInTheDirectoryOpenedOnce()
    {
        Manifest manifest = Publish("sub/core-1.img");
        string name = $"test-{Guid.NewGuid():N}";
        StoreStack counted = StoreStack.Over(_backend, _backend.NodeSide, BackendRetry.None(name), Timeout.InfiniteTimeSpan);
        using PackReader packs = PackReading.Open(_backend, ChunkCodec.Plain);
        Assert.Null(GenerationVerifier.VerifyContents(counted.Top, counted.Node, "checkpoint-000001", manifest, packs));
        Assert.Equal([("open", 1), ("stat", 1)], VolumeBackendTests.Requests(name));
    }

    /// <summary>Commits generation 1 with one file beside its manifest (<paramref name="file"/>, holding "core").</summary>
    private Manifest Publish(string file = "core-1.img")
    {
        using StagingCheckpoint staging = StagingCheckpoint.Begin(
            StoreStack.Over(_backend, _backend.NodeSide, BackendRetry.None("verifier"), Timeout.InfiniteTimeSpan), Serilog.Core.Logger.None, 1, [], ChunkCodec.Plain);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(staging.Path, file))!);
        File.WriteAllText(Path.Combine(staging.Path, file), "core");
        (List<ManifestFile> files, _) = staging.Seal(ChunkCodec.Plain);
        var manifest = new Manifest { Generation = 1, RootPid = 9001, Command = ["app"], Files = files };
        staging.Publish("checkpoint-000001", JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.Manifest), mac: null, whyNot: () => null);
        return manifest;
    }
}
