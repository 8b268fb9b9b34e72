using Crik.Cli.Chunks;
using Crik.Cli.LazyPages;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// The reads behind a lazy restore: a chunk the app waits for is read before every chunk read ahead,
/// a chunk is not read twice while its read is under way or its bytes are in use, and its bytes
/// (the app's memory) go back to the fill's buffers once nobody uses them, which clear them when the fill ends.
/// </summary>
[Trait("Category", "Unit")]
public sealed class FillReadsTests
{
    [Fact]
    public async Task AFaultsChunkGoesBeforeEveryReadAheadAndNoChunkIsReadTwiceWhileInUse()
    {
        var source = new ChunkedImageTests.CountingSource(16 * 4096) { Gate = new ManualResetEventSlim(false) };
        using var packs = new PackReader(new Crik.Cli.Tests.Chunks.PacksOf(_ => source), ChunkCodec.Plain);
        var image = new ChunkedImage(ChunkedImageTests.ChunkRefs(source.Bytes), packs, keyId: null);
        using var buffers = new FillBuffers();
        using var reads = FillReads.Start(new Dictionary<int, ChunkedImage> { [1] = image }, threads: 1, new StoreOutage(TimeSpan.FromMinutes(5), OutageNewsTo.Nobody), new Crik.Cli.Tests.Chunks.FailuresTo(Unexpected), buffers);

        Task<byte[]> first = reads.Get(1, 0, urgent: false); // the one thread that reads ahead takes it and waits at the gate
        Poll(() => reads.OldestAttempt != 0);
        List<Task<byte[]>> ahead = Enumerable.Range(1, 8).Select(i => reads.Get(1, i, urgent: false)).ToList();
        Task<byte[]> fault = reads.Get(1, 12, urgent: true);
        Task<byte[]> again = reads.Get(1, 12, urgent: true);
        Poll(() => source.AtGate == 2); // the fault's read is under way beside the read ahead, not queued behind it
        source.Gate.Set();

        Assert.Same(fault, again);
        await Task.WhenAll([first, fault, .. ahead]).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([0L, 1, 2, 3, 4, 5, 6, 7, 8], source.Order.Where(c => c != 12)); // reads ahead in order, once each
        byte[] bytes = await fault;
        Assert.True(source.Bytes.AsSpan(12 * 4096, 4096).SequenceEqual(bytes.AsSpan(0, 4096)));
        Assert.Equal(1, source.Reads[12]);

        reads.Forget(1, 12);
        Assert.Contains(bytes[..4096], b => b != 0); // one user left
        reads.Forget(1, 12);
        Assert.Same(reads.Get(1, 3, urgent: false), ahead[2]); // still kept for its user
        Assert.Same(bytes, buffers.Rent(4096)); // nobody uses it: back in the fill's buffers, lent again
        buffers.Return(bytes);
        buffers.Dispose();
        Assert.All(bytes, b => Assert.Equal(0, b)); // the fill ended: cleared
    }

    [Theory]
    [InlineData("object storage")] // 503 SlowDown, no answer, a timeout: what S3PackSource makes of them
    [InlineData("network volume")] // a soft NFS mount's EIO while its server is away
    public async Task AStoreThatStopsAnsweringIsWaitedOutToldOfOnceAndOnceMoreWhenItIsBack(string store)
    {
        var source = new ChunkedImageTests.CountingSource(16 * 4096);
        var news = new System.Collections.Concurrent.ConcurrentQueue<OutageNews>();
        var outage = new StoreOutage(TimeSpan.FromMinutes(5), new OutageNewsTo(news.Enqueue));
        using var reads = Reads(source, outage);
        var down = System.Diagnostics.Stopwatch.StartNew();
        source.Failure = _ => down.Elapsed > TimeSpan.FromSeconds(2) ? null
            : store == "object storage" ? new PackUnavailableException("S3 GET s3://b/packs/1 failed: 503 SlowDown") : new IOException("Input/output error", 5);

        byte[][] chunks = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => reads.Get(1, i, urgent: i == 0))).WaitAsync(TimeSpan.FromSeconds(30));

        for (int i = 0; i < 4; i++)
        {
            Assert.True(source.Bytes.AsSpan(i * 4096, 4096).SequenceEqual(chunks[i].AsSpan(0, 4096)));
        }
        Assert.Equal([OutageStage.Began, OutageStage.Over], news.Select(n => n.Stage));
        Assert.InRange(news.Last().Lasted, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(10));
        Assert.Null(outage.Lasted);
    }

    [Fact]
    public async Task AStoreThatDoesNotAnswerForTheWholePatienceFailsTheReadWithWhy()
    {
        var source = new ChunkedImageTests.CountingSource(4 * 4096) { Failure = _ => new PackUnavailableException("no answer within 15 s") };
        using var reads = Reads(source, new StoreOutage(TimeSpan.FromSeconds(1), OutageNewsTo.Nobody));

        var failure = await Assert.ThrowsAsync<PackUnavailableException>(() => reads.Get(1, 0, urgent: true).WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.Equal("the image store did not answer for 1 s (lazyStoreWait); the last failure: no answer within 15 s", failure.Message);
        Assert.True(source.Reads[0] == 0);
    }

    [Theory]
    [InlineData("damaged")]
    [InlineData("gone")]
    [InlineData("refused")]
    public async Task AReadThatCannotSucceedFailsAtOnceWithoutAnOutage(string how)
    {
        var news = new List<OutageNews>();
        var source = new ChunkedImageTests.CountingSource(4 * 4096)
        {
            Failure = _ => how switch
            {
                "damaged" => new ChunkException("chunk 0123 does not match its SHA-256"),
                "gone" => new ChunkException("s3://b/packs/1 is missing"),
                _ => new UnauthorizedAccessException("permission denied"),
            },
        };
        using var reads = Reads(source, new StoreOutage(TimeSpan.FromMinutes(5), new OutageNewsTo(news.Add)));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<Exception>(() => reads.Get(1, 0, urgent: true).WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), clock.Elapsed.ToString());
        Assert.Empty(news);
    }

    [Fact]
    public void OnlyFailuresAStoreTakesBackAreTransient()
    {
        Assert.Equal(ReadFailure.Transient, ReadFailures.Classify(new PackUnavailableException("503 SlowDown")));
        foreach (int errno in new[] { 5, 11, 110, 116, 107 })
        {
            Assert.Equal(ReadFailure.Transient, ReadFailures.Classify(new IOException("network volume", errno)));
        }
        Assert.Equal(ReadFailure.Permanent, ReadFailures.Classify(new ChunkException("does not match its SHA-256")));
        Assert.Equal(ReadFailure.Permanent, ReadFailures.Classify(new IOException("No such file or directory", 2)));
        Assert.Equal(ReadFailure.Permanent, ReadFailures.Classify(new FileNotFoundException("gone")));
        Assert.Equal(ReadFailure.Permanent, ReadFailures.Classify(new UnauthorizedAccessException("denied")));
        Assert.Equal(ReadFailure.Permanent, ReadFailures.Classify(new FormatException("not an image")));
        // What no read throws is crik's own failure: it proves nothing of the chunk or the store.
        Assert.Equal(ReadFailure.CriksOwn, ReadFailures.Classify(new InvalidOperationException("a bug")));
        Assert.Equal(ReadFailure.CriksOwn, ReadFailures.Classify(new ArgumentOutOfRangeException("index")));
        // A write into CRIU's pipe that failed other than by CRIU having stopped reading (EIO would read as a network volume's).
        Assert.Equal(ReadFailure.CriksOwn, ReadFailures.Classify(new Crik.Cli.Streaming.ImagePipeException(new IOException("vmsplice to an image pipe failed", 5))));
    }

    private static ChunkReadAhead Reads(ChunkedImageTests.CountingSource source, StoreOutage outage)
    {
        var packs = new PackReader(new Crik.Cli.Tests.Chunks.PacksOf(_ => source), ChunkCodec.Plain);
        var image = new ChunkedImage(ChunkedImageTests.ChunkRefs(source.Bytes), packs, keyId: null);
        return FillReads.Start(new Dictionary<int, ChunkedImage> { [1] = image }, threads: 2, outage, new Crik.Cli.Tests.Chunks.FailuresTo(Unexpected), new FillBuffers());
    }

    private static void Unexpected(string thread, Exception e) => throw new Xunit.Sdk.XunitException($"{thread} failed: {e}");

    private static void Poll(Func<bool> condition)
    {
        for (int i = 0; i < 200 && !condition(); i++)
        {
            Thread.Sleep(10);
        }
        Assert.True(condition());
    }
}
