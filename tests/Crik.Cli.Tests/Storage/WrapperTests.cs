using System.Diagnostics;
using Crik.Cli.ImageStore;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.ObjectStorage;
using Crik.Cli.Observing;
using Crik.Cli.Records;
using Crik.Cli.Tests.ObjectStorage;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.Storage;

/// <summary>
/// Each wrapper's own work (<see cref="StoreStack"/>), over object storage (s3rver behind a proxy that fails, stalls and counts
/// requests as a troubled store would) and a volume: retry, deadline, fencing and counting.
/// </summary>
public sealed class WrapperTests : IDisposable
{
    private readonly S3Server? _server = S3Server.Missing() is null || Prerequisites.InCi ? new S3Server() : null;
    private readonly FaultyProxy? _proxy;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private readonly string _prefix = $"wrappers-{Guid.NewGuid():N}/";
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-wrappers-").FullName;
    private readonly string _name = $"wrapped-{Guid.NewGuid():N}";

    public WrapperTests() => _proxy = _server is null ? null : new FaultyProxy(_server.Endpoint);

    [SkippableStorageFact]
    public void ATransientFailureIsRetriedAndAPermanentOneIsNot()
    {
        StoreStack stack = Stack(TimeSpan.FromSeconds(10));
        _proxy!.Fail(2, 503);
        int before = _proxy.Requests;
        Assert.True(stack.Top.WriteIfAbsent("restores/000001-001", [1, 2, 3]));
        Assert.Equal(3, _proxy.Requests - before); // two 503s, then the write

        _proxy.Canned = request => request.StartsWith("PUT", StringComparison.Ordinal) && request.Contains("000001-002", StringComparison.Ordinal)
            ? (403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")
            : null;
        before = _proxy.Requests;
        var refused = Assert.Throws<S3Exception>(() => stack.Top.WriteIfAbsent("restores/000001-002", [1]));
        Assert.Equal(403, refused.Status);
        Assert.Equal(1, _proxy.Requests - before);
    }

    [SkippableStorageFact]
    public void ARequestThatStallsIsCutAtItsLimitAndNoneIsSentOnceTheStepsTimeIsSpent()
    {
        StoreStack stack = Stack(TimeSpan.FromSeconds(1));
        _proxy!.BeforeForwarding = request => Thread.Sleep(request.StartsWith("PUT", StringComparison.Ordinal) ? 6000 : 0);
        var clock = Stopwatch.StartNew();
        var stalled = Assert.Throws<S3Exception>(() => stack.Top.WriteIfAbsent("restores/000001-001", [1]));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{clock.Elapsed}: {stalled.Message}"); // three attempts of 1 s, not the client's 20 s
        Assert.Contains("no answer within 1 s", stalled.Message, StringComparison.Ordinal);
        _proxy.BeforeForwarding = _ => { };

        using (stack.Deadline.Within(TimeSpan.Zero))
        {
            int before = _proxy.Requests;
            var late = Assert.Throws<OutOfTimeException>(() => stack.Top.Describe("restores/000001-001"));
            Assert.Contains("the time crik had for the store ran out", late.Message, StringComparison.Ordinal);
            Assert.Equal(before, _proxy.Requests);
        }
        Assert.Null(stack.Top.Describe("restores/000001-009")); // the scope ended: calls go again
    }

    [SkippableStorageFact]
    public void OnceTheLockIsLostNoWriteIsSentButReadsStillAre()
    {
        StoreStack stack = Stack(TimeSpan.FromSeconds(10));
        var held = new SettableLock();
        stack.Fence.Hold(held);
        Assert.True(stack.Top.WriteIfAbsent("restores/000001-001", [1]));

        held.Set(HoldState.Fenced);
        int before = _proxy!.Requests;
        Assert.Throws<FencedException>(() => stack.Top.WriteIfAbsent("restores/000001-002", [1]));
        Assert.Throws<FencedException>(() => stack.Top.Delete("restores/000001-001"));
        Assert.Throws<FencedException>(() => stack.Top.Move("restores/000001-001", "restores/000001-003"));
        Assert.Equal(before, _proxy.Requests);
        Assert.Equal([1], stack.Top.Read("restores/000001-001", 10));
    }

    /// <summary>A pack's parts and its completion are calls like any other: a part the store failed is sent again, whole, and the pack is whole.</summary>
    [SkippableStorageFact]
    public void AnUploadsPartsAndItsCompletionAreRetried()
    {
        StoreStack stack = Stack(TimeSpan.FromSeconds(10));
        byte[] pack = System.Security.Cryptography.RandomNumberGenerator.GetBytes(PartBytes + 100);
        using IBlobUpload upload = stack.Top.CreatePackUpload("packs/000001.pack");
        _proxy!.Matches = (method, _) => method is "PUT" or "POST";
        _proxy.Fail(2, 503);
        upload.Write(pack.AsSpan(0, 1000), 0);
        upload.Write(pack.AsSpan(1000), 1000); // fills part 1, whose upload's start fails twice
        _proxy.Fail(1, 500);
        upload.Complete(); // the last part fails once
        Assert.Equal(pack, stack.Top.Read("packs/000001.pack", pack.Length));
        // At least the three failures made here; a loaded machine's s3rver may add one of its own.
        Assert.InRange(Tallies.StoreRetryCounts.Single(c => c.Key == _name).Count, 3, 10);
    }

    /// <summary>Once the lock is lost, no part of an upload is sent, nor its completion: they never reach the store.</summary>
    [SkippableStorageFact]
    public void OnceTheLockIsLostNoPartOfAnUploadIsSent()
    {
        StoreStack stack = Stack(TimeSpan.FromSeconds(10));
        var held = new SettableLock();
        stack.Fence.Hold(held);
        using IBlobUpload upload = stack.Top.CreatePackUpload("packs/000001.pack");
        upload.Write(new byte[1000], 0);

        held.Set(HoldState.Fenced);
        int before = _proxy!.Requests;
        Assert.Throws<FencedException>(() => upload.Write(new byte[PartBytes], 1000)); // a full part, refused before it is sent
        Assert.IsType<FencedException>(Assert.ThrowsAny<IOException>(upload.Complete).InnerException); // the pack failed with its part
        Assert.Equal(before, _proxy.Requests);
        Assert.Null(stack.Top.Describe("packs/000001.pack"));
    }

    [SkippableStorageFact]
    public void EachCallIsCountedOnceHoweverManyAttemptsItTookAndEachRetryToo()
    {
        StoreStack stack = Stack(TimeSpan.FromSeconds(10));
        _proxy!.Fail(2, 503);
        stack.Top.WriteIfAbsent("restores/000001-001", [1, 2, 3]);
        stack.Top.Read("restores/000001-001", 10);
        Assert.Null(stack.Top.Describe("restores/000001-002"));
        Assert.Equal([("read", 1L), ("stat", 1L), ("write", 1L)], Counts());
        Assert.Equal(2, Tallies.StoreRetryCounts.Single(c => c.Key == _name).Count);
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void OnAVolumeEachPrimitiveAndEachRangeIsCountedOnce()
    {
        var volume = new VolumeBackend(_dir, Serilog.Core.Logger.None);
        IStoreBackend top = StoreStack.Over(volume, volume.NodeSide, BackendRetry.None(_name), Timeout.InfiniteTimeSpan).Top;
        Assert.True(top.WriteIfAbsent("packs/000001.pack", new byte[100]));
        using (IBlobReader blob = top.OpenRead("packs/000001.pack")!)
        {
            var into = new byte[10];
            blob.Read(into, 0);
            blob.Read(into, 50);
        }
        top.Delete("packs/000001.pack");
        Assert.Equal([("delete", 1L), ("read", 2L), ("write", 1L)], Counts());
    }

    public void Dispose()
    {
        _proxy?.Dispose();
        _http.Dispose();
        _server?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private List<(string, long)> Counts() =>
        [.. Tallies.StoreRequestCounts.Where(c => c.Key.Backend == _name).Select(c => (c.Key.Operation, c.Count)).OrderBy(c => c.Operation, StringComparer.Ordinal)];

    /// <summary>
    /// A write let through while the lease was ours, still under way when the lease may be another's, is cut then: it must not
    /// land after another crik took the lease over, whatever time it had for its answer.
    /// </summary>
    [SkippableStorageFact]
    public async Task AWriteUnderWayWhenTheLeaseMayBeAnothersIsCutThen()
    {
        StoreStack stack = Stack(TimeSpan.FromSeconds(15));
        using var held = new SettableLock();
        stack.Fence.Hold(held);
        using var released = new ManualResetEventSlim();
        _proxy!.BeforeForwarding = request =>
        {
            if (request.StartsWith("PUT", StringComparison.Ordinal))
            {
                released.Wait(TimeSpan.FromSeconds(60));
            }
        };
        Task<bool> writing = Task.Run(() => stack.Top.WriteIfAbsent("restores/000001-001", [1]));
        await Poll.UntilAsync(() => _proxy.Seen.Any(r => r.StartsWith("PUT", StringComparison.Ordinal)), "the write to reach the store");

        held.Set(HoldState.Fenced);
        var cut = await Assert.ThrowsAnyAsync<IOException>(() => writing.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("another crik", cut.Message, StringComparison.Ordinal);
        Assert.Single(_proxy.Seen, r => r.StartsWith("PUT", StringComparison.Ordinal));
        released.Set();
    }

    /// <summary>Object storage's stack, as <see cref="ObjectGenerationStore"/> makes it, each attempt cut after <paramref name="perRequest"/>.</summary>
    private StoreStack Stack(TimeSpan perRequest)
    {
        var backend = new ObjectBackend(TestS3.Client(_server!, _http, _prefix, _proxy!.Endpoint), new LoggerConfiguration().CreateLogger()) { PartBytes = PartBytes };
        return StoreStack.Over(backend, backend.NodeSide, new BackendRetry(3, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(100), _name), perRequest);
    }

    /// <summary>Parts as small as S3 takes, so that a test's part is quick to send.</summary>
    private const int PartBytes = 5 << 20;
}
