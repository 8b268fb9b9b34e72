using Crik.Cli.Chunks;
using Crik.Cli.LazyPages;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// The reads behind a lazy restore: a chunk the app waits for is read before every chunk read ahead,
/// a chunk is not read twice while its read is under way or its bytes are in use, and its bytes
/// (the app's memory) are cleared once nobody uses them.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ChunkReadsTests
{
    [Fact]
    public async Task AFaultsChunkGoesBeforeEveryReadAheadAndNoChunkIsReadTwiceWhileInUse()
    {
        var source = new ChunkedImageTests.CountingSource(16 * 4096) { Gate = new ManualResetEventSlim(false) };
        using var packs = new PackReader(_ => source, ChunkCodec.Plain);
        var image = new ChunkedImage(ChunkedImageTests.ChunkRefs(source.Bytes), packs, keyId: null);
        using var reads = new ChunkReads(new Dictionary<int, ChunkedImage> { [1] = image }, threads: 1);

        Task<byte[]> first = reads.Get(1, 0, urgent: false); // the one thread that reads ahead takes it and waits at the gate
        Poll(() => reads.Longest > TimeSpan.Zero);
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
        Poll(() => bytes.All(b => b == 0)); // nobody uses it: cleared (and back in the reads' own pool)
        Assert.Same(reads.Get(1, 3, urgent: false), ahead[2]); // still kept for its user
    }

    private static void Poll(Func<bool> condition)
    {
        for (int i = 0; i < 200 && !condition(); i++)
        {
            Thread.Sleep(10);
        }
        Assert.True(condition());
    }
}
