using Crik.Cli.Locking;
using Crik.Cli.ImageStore.Backends;
using System.Diagnostics;
using System.Text;
using Crik.Cli.ImageStore;
using Crik.Cli.ObjectStorage;
using Crik.Cli.Records;
using Crik.TestSupport;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>The lease two pods sharing a prefix take turns with, against s3rver behind a proxy that honours conditional writes as S3 does.</summary>
public sealed class S3LeaseTests : IDisposable
{
    private const string Lock = "PUT /crik-test/app/.lock";
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(3);
    private readonly S3Server? _server = S3Server.Missing() is null || Prerequisites.InCi ? new S3Server() : null;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [S3Fact]
    public void ASecondHolderWaitsUntilTheFirstReleasesTheLease()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        S3Client s3 = TestS3.Client(_server, _http, "app/", proxy.Endpoint);
        S3Lease? first = S3Lease.TryAcquire(s3, ".lock", TimeSpan.Zero);
        Assert.NotNull(first);
        Assert.Null(S3Lease.TryAcquire(s3, ".lock", TimeSpan.FromMilliseconds(600)));

        first.Dispose();
        Assert.Null(s3.TryGet(".lock"));
        using S3Lease? second = S3Lease.TryAcquire(s3, ".lock", TimeSpan.Zero);
        Assert.NotNull(second);
    }

    [S3Fact]
    public void AnAcquisitionCutOffByTheStoreAfterItsWriteLandedIsFinishedByTheNextTryNotTakenForAnotherHolder()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        S3Client s3 = TestS3.Client(_server, _http, "app/", proxy.Endpoint);
        proxy.DropAnswers = r => r == Lock; // the lease is written, its answer lost
        proxy.Matches = (method, path) => method == "GET" && path.EndsWith("/.lock", StringComparison.Ordinal);
        proxy.Fail(1000, 503); // and then the store fails: crik cannot tell whose the lease is
        Assert.ThrowsAny<IOException>(() => S3Lease.TryAcquire(s3, ".lock", Lifetime, Lifetime));
        Assert.NotNull(Direct().TryGet(".lock"));

        proxy.DropAnswers = _ => false;
        proxy.Fail(0, 503);
        var clock = Stopwatch.StartNew();
        using S3Lease? lease = S3Lease.TryAcquire(s3, ".lock", Lifetime / 2, Lifetime);
        Assert.NotNull(lease); // not a lifetime's wait for a holder that does not exist
        Assert.True(clock.Elapsed < Lifetime / 2, $"took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [S3Fact]
    public void AHeldLeaseIsRenewedEvenAfterTheCheckpointsTimeForTheStoreRanOut()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        var backend = new ObjectBackend(TestS3.Client(_server, _http, "app/", proxy.Endpoint), Serilog.Core.Logger.None, Lifetime);
        StoreStack store = StoreStack.Over(backend, backend.NodeSide, ObjectGenerationStore.Retries, Timeout.InfiniteTimeSpan);
        using (store.Within(TimeSpan.FromSeconds(1)))
        using (IStoreLock? held = store.Top.TryLock(TimeSpan.Zero))
        {
            Assert.NotNull(held);
            Thread.Sleep(Lifetime * 1.5);
            Assert.Equal(HoldState.Held, held.State);
            Assert.Null(S3Lease.TryAcquire(Other(proxy), ".lock", Lifetime * 1.3, Lifetime));
        }
        Assert.Null(Other(proxy).TryGet(".lock")); // released, though the time had run out long before
    }

    [S3Fact]
    public void ARenewalThatFailsInAnUnforeseenWayDoesNotEndCrikAndTheNextOneRenews()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        var faults = new FaultyHandler();
        using var http = new HttpClient(faults) { Timeout = TimeSpan.FromSeconds(10) };
        using S3Lease? lease = S3Lease.TryAcquire(TestS3.Client(_server, http, "app/", proxy.Endpoint), ".lock", TimeSpan.Zero, Lifetime);
        Assert.NotNull(lease);
        int renewals = proxy.Seen.Count(r => r == Lock);
        faults.Failing = true; // an exception no request should throw, as Thread.Sleep did on a negative time
        Poll.Until(() => faults.Failed > 0, "a renewal to fail", Lifetime);
        faults.Failing = false;
        Poll.Until(() => proxy.Seen.Count(r => r == Lock) > renewals, "the next renewal", Lifetime);
        Poll.Until(() => lease.State is HoldState.Held, "the renewal's answer to hold the lease", Lifetime);
    }

    [S3Fact]
    public void ALeaseIsTakenOverOnceUnchangedForALifetimeByTheTakersClockWhateverTheHoldersClockSaid()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        S3Client s3 = TestS3.Client(_server, _http, "app/", proxy.Endpoint);
        // A dead holder whose clock ran far ahead wrote an expiry years away.
        s3.Put(".lock", Encoding.UTF8.GetBytes($"fast-clock/1/abc\n{DateTimeOffset.UtcNow.AddYears(5).ToUnixTimeMilliseconds()}\n"));
        var clock = Stopwatch.StartNew();
        using (S3Lease? taken = S3Lease.TryAcquire(s3, ".lock", Lifetime * 3, Lifetime))
        {
            Assert.NotNull(taken);
            Assert.True(clock.Elapsed >= Lifetime, $"taken over after {clock.Elapsed}");
            Assert.DoesNotContain("fast-clock", Encoding.UTF8.GetString(s3.TryGet(".lock")!), StringComparison.Ordinal);
        }

        // A live holder whose clock lags says its lease ended long ago: it is not taken from it at once.
        s3.Put(".lock", "slow-clock/1/abc\n1000\n"u8.ToArray());
        Assert.Null(S3Lease.TryAcquire(s3, ".lock", Lifetime / 2, Lifetime));
    }

    [S3Fact]
    public void OfTwoPodsRacingForALeaseWhoseHolderDiedExactlyOneWins()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true, Delay = TimeSpan.FromMilliseconds(50) };
        S3Client s3 = TestS3.Client(_server, _http, "app/", proxy.Endpoint);
        s3.Put(".lock", "dead-node/1/abc\n1000\n"u8.ToArray());
        var start = new Barrier(2);
        S3Lease?[] won = new S3Lease?[2];
        Parallel.For(0, 2, i =>
        {
            start.SignalAndWait();
            won[i] = S3Lease.TryAcquire(Other(proxy), ".lock", Lifetime * 2.5, Lifetime);
        });
        try
        {
            Assert.Single(won, w => w is not null);
            Assert.DoesNotContain("dead-node", Encoding.UTF8.GetString(s3.TryGet(".lock")!), StringComparison.Ordinal);
        }
        finally
        {
            foreach (S3Lease? lease in won)
            {
                lease?.Dispose();
            }
        }
    }

    [S3Fact]
    public void ARenewalAfterAnotherPodTookTheLeaseOverFindsItLostAndLeavesItToThatPod()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        S3Client s3 = TestS3.Client(_server, _http, "app/", proxy.Endpoint);
        int puts = 0;
        // Another pod takes the lease over just as the first renewal goes out.
        proxy.BeforeForwarding = request =>
        {
            if (request == Lock && Interlocked.Increment(ref puts) == 2)
            {
                Direct().Put(".lock", "other-pod/1/abc\n1000\n"u8.ToArray());
            }
        };
        using S3Lease? lease = S3Lease.TryAcquire(s3, ".lock", TimeSpan.Zero, Lifetime);
        Assert.NotNull(lease);
        Poll.Until(() => lease.State is HoldState.Lost, "the renewal to find the lease lost", Lifetime);
        // A renewal whose answer came too late on a loaded machine is tried again, so the count may be past 2 by now.
        int putsWhenLost = Volatile.Read(ref puts);

        Thread.Sleep(Lifetime / 2); // no renewal comes after
        lease.Dispose();
        Assert.Equal("other-pod/1/abc\n1000\n", Encoding.UTF8.GetString(Direct().TryGet(".lock")!));
        Assert.True(putsWhenLost >= 2, $"{putsWhenLost} writes of the lease");
        Assert.Equal(putsWhenLost, Volatile.Read(ref puts));
    }

    [S3Fact]
    public void ALeaseWhoseRenewalsGoUnansweredForLifetimesIsInDoubtNotForfeitedAndIsHeldAgainOnceTheStoreAnswers()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        using S3Lease? lease = S3Lease.TryAcquire(Other(proxy), ".lock", TimeSpan.Zero, Lifetime);
        Assert.NotNull(lease);
        proxy.Fail(int.MaxValue, 503);
        Poll.Until(() => lease.State is HoldState.Fenced, "the lease to be in doubt past the time another pod may take it over", Lifetime * 2);
        Thread.Sleep(Lifetime * 2); // three lifetimes unanswered in all
        Assert.Equal(HoldState.Fenced, lease.State);

        proxy.Fail(0, 503);
        Poll.Until(() => lease.State is HoldState.Held, "a renewal over its own version to hold it again", Lifetime);
    }

    [S3Fact]
    public void ALeaseInDoubtThatAnotherPodTookOverIsForfeitedWhenTheStoreAnswersAndOneInDoubtForTheLimitIsForfeitedToo()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        using S3Lease? taken = S3Lease.TryAcquire(Other(proxy), ".lock", TimeSpan.Zero, Lifetime);
        Assert.NotNull(taken);
        proxy.Delay = TimeSpan.FromMinutes(10); // renewals hang: each is cut at a fifth of the lifetime
        Poll.Until(() => taken.State is HoldState.Fenced, "the lease to be in doubt", Lifetime * 2);
        Direct().Put(".lock", "other-pod/1/abc\n1000\n"u8.ToArray()); // another pod, which reaches the store, took it over
        proxy.Delay = TimeSpan.Zero;
        Poll.Until(() => taken.State is HoldState.Lost, "the renewal to find the lease another pod's", Lifetime);
        Direct().Delete(".lock");

        using S3Lease? doubted = S3Lease.TryAcquire(Other(proxy), ".lock", TimeSpan.Zero, Lifetime, doubtLimit: Lifetime * 1.5);
        Assert.NotNull(doubted);
        proxy.Fail(int.MaxValue, 503);
        var clock = Stopwatch.StartNew();
        Poll.Until(() => doubted.State is HoldState.Lost, "the lease to be forfeited after the doubt limit", Lifetime * 3);
        Assert.True(clock.Elapsed >= Lifetime * 1.2, $"forfeited after {clock.Elapsed}, before the doubt limit");
        proxy.Fail(0, 503);
    }

    [S3Fact]
    public void ReleasingALeaseAnotherPodHasJustTakenOverLeavesItsLease()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        S3Client s3 = TestS3.Client(_server, _http, "app/", proxy.Endpoint);
        proxy.BeforeForwarding = request =>
        {
            if (request == "DELETE /crik-test/app/.lock")
            {
                Direct().Put(".lock", "other-pod/1/abc\n1000\n"u8.ToArray());
            }
        };
        S3Lease? lease = S3Lease.TryAcquire(s3, ".lock", TimeSpan.Zero);
        Assert.NotNull(lease);
        lease.Dispose();
        Assert.Equal("other-pod/1/abc\n1000\n", Encoding.UTF8.GetString(Direct().TryGet(".lock")!));
    }

    [S3Fact]
    public void AStoreWhoseLeaseWasLostCommitsNothing()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        using var store = new ObjectGenerationStore(TestS3.Client(_server, _http, "app/", proxy.Endpoint), new LoggerConfiguration().CreateLogger(),
            leaseLifetime: Lifetime);
        using IDisposable? held = store.TryLock(TimeSpan.Zero);
        Assert.NotNull(held);
        StagingCheckpoint staging = store.BeginCheckpoint();
        Direct().Put(".lock", "other-pod/1/abc\n1000\n"u8.ToArray()); // another pod took the lease over
        Poll.Until(() => ((S3Lease)held).State is HoldState.Lost, "the renewal to find the lease lost", Lifetime);

        var error = Assert.Throws<IOException>(() => store.Commit(staging, new Manifest { RootPid = 9001, Command = ["app"] }, keep: 2));
        Assert.StartsWith("crik lost its lock on s3://crik-test/app", error.Message, StringComparison.Ordinal);
        store.Abandon(staging);
        Assert.DoesNotContain(Direct().List(""), o => o.Name.EndsWith("manifest.json", StringComparison.Ordinal));
    }

    /// <summary>
    /// A store that answers the lease's write without an ETag leaves crik nothing to make the next write conditional on: a
    /// renewal sent without If-Match would replace another crik's lease unseen. The lease is refused in one line.
    /// </summary>
    [S3Fact]
    public void AStoreThatAnswersTheLeasesWriteWithoutAnETagIsRefusedALease()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true, DropETags = true };
        S3Client s3 = TestS3.Client(_server, _http, "app/", proxy.Endpoint);
        var refused = Assert.Throws<S3Exception>(() => S3Lease.TryAcquire(s3, ".lock", TimeSpan.Zero));
        Assert.StartsWith("the store answered the write of the lease s3://crik-test/app/.lock without an ETag", refused.Message, StringComparison.Ordinal);
        Assert.False(StoreProbe.Run(s3, TimeSpan.FromSeconds(10)).ConditionalWrites);

        proxy.DropETags = false;
        Assert.True(StoreProbe.Run(s3, TimeSpan.FromSeconds(10)).ConditionalWrites);
        using S3Lease? lease = S3Lease.TryAcquire(s3, ".lock", TimeSpan.Zero);
        Assert.NotNull(lease);
    }

    public void Dispose()
    {
        _http.Dispose();
        _server?.Dispose();
    }

    /// <summary>Requests that throw what no request should while <see cref="Failing"/>.</summary>
    private sealed class FaultyHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _failed;

        public volatile bool Failing;

        public int Failed => Volatile.Read(ref _failed);

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Failing)
            {
                Interlocked.Increment(ref _failed);
                throw new ArgumentOutOfRangeException(nameof(request), "injected by the test");
            }
            return base.Send(request, cancellationToken);
        }
    }

    /// <summary>Another pod's client, through the same proxy.</summary>
    private S3Client Other(FaultyProxy proxy) => TestS3.Client(_server!, _http, "app/", proxy.Endpoint);

    /// <summary>A client straight to s3rver, past the proxy.</summary>
    private S3Client Direct() => TestS3.Client(_server!, _http, "app/");
}
