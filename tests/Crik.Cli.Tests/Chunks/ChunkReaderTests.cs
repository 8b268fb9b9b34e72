using System.Collections.Concurrent;
using Crik.Cli.Chunks;
using Xunit;

namespace Crik.Cli.Tests.Chunks;

/// <summary>
/// The threads and queues of the read-ahead engine: reads someone waits for go first,
/// a read let go of before it starts is never done, every buffer of a read let go of comes back exactly once,
/// and only with a store's patience is a failure the store may take back tried again.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ChunkReaderTests
{
    private static readonly string[] Ahead = ["a", "b", "c"];

    private readonly ConcurrentQueue<string> _order = new();
    private readonly ConcurrentDictionary<byte[], string> _out = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentQueue<byte[]> _givenBack = new();
    private readonly ConcurrentDictionary<int, Func<byte[]>> _reads = new();
    private int _queued;

    [Fact]
    public async Task AnUrgentReadGoesBeforeReadsAheadAndOneLetGoOfBeforeItStartsIsNeverDone()
    {
        using var gate = new ManualResetEventSlim();
        using var reader = new ChunkReader(new ChunkReaderThreads(1, "test reader"), Source(_givenBack.Enqueue), patience: null, Unexpected);
        ChunkRead first = Queue(reader, () => { gate.Wait(TimeSpan.FromSeconds(10)); return Read("first"); }, urgent: false);
        Poll(() => first.Started != 0);
        ChunkRead[] ahead = Ahead.Select(name => Queue(reader, () => Read(name), urgent: false)).ToArray();
        ChunkRead fault = Queue(reader, () => Read("fault"), urgent: true);
        reader.Hurry(ahead[2]);
        reader.Cancel(ahead[1]);
        gate.Set();

        await Task.WhenAll(first.Bytes, fault.Bytes, ahead[0].Bytes, ahead[2].Bytes).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["first", "fault", "c", "a"], _order);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ahead[1].Bytes);
        Assert.Empty(_givenBack);
    }

    [Fact]
    public async Task TheBufferOfAReadLetGoOfComesBackOnceWhetherItWasDoneOrStillUnderWay()
    {
        using var gate = new ManualResetEventSlim();
        using var reader = new ChunkReader(new ChunkReaderThreads(2, "test reader"), Source(GiveBack), patience: null, Unexpected);
        ChunkRead done = Queue(reader, () => Read("done"), urgent: false);
        await done.Bytes.WaitAsync(TimeSpan.FromSeconds(10));
        ChunkRead underWay = Queue(reader, () => { gate.Wait(TimeSpan.FromSeconds(10)); return Read("under way"); }, urgent: false);
        Poll(() => underWay.Started != 0);

        reader.Cancel(done);
        reader.Cancel(done);
        reader.Cancel(underWay);
        gate.Set();

        Poll(() => _givenBack.Count == 2);
        Assert.Empty(_out);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => underWay.Bytes);
    }

    [Fact]
    public async Task OnlyWithAStoresPatienceIsAFailureItMayTakeBackTriedAgain()
    {
        int attempts = 0;
        byte[] FailsOnce()
        {
            return Interlocked.Increment(ref attempts) == 1 ? throw new PackUnavailableException("503 SlowDown") : Read("again");
        }
        using (var impatient = new ChunkReader(new ChunkReaderThreads(1, "test reader"), Source(GiveBack), patience: null, Unexpected))
        {
            await Assert.ThrowsAsync<PackUnavailableException>(() => Queue(impatient, FailsOnce, urgent: true).Bytes.WaitAsync(TimeSpan.FromSeconds(10)));
        }
        attempts = 0;
        var patience = new Crik.Cli.LazyPages.StoreOutage(TimeSpan.FromMinutes(1), Crik.Cli.Tests.LazyPages.OutageNewsTo.Nobody);
        using var patient = new ChunkReader(new ChunkReaderThreads(1, "test reader"), Source(GiveBack), patience, Unexpected);

        byte[] bytes = await Queue(patient, FailsOnce, urgent: true).Bytes.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("again", _out[bytes]);
        Assert.Equal(2, attempts);
        Assert.Null(patience.Lasted);
    }

    /// <summary>The reads' source: each index is one read queued (<see cref="Queue"/>), done by the function queued with it.</summary>
    private ChunkSourceOf Source(Action<byte[]> giveBack) => new((_, index) => _reads[index](), giveBack);

    private ChunkRead Queue(ChunkReader reader, Func<byte[]> read, bool urgent)
    {
        int index = Interlocked.Increment(ref _queued);
        _reads[index] = read;
        return reader.Queue(image: 0, index, urgent);
    }

    private byte[] Read(string name)
    {
        _order.Enqueue(name);
        var buffer = new byte[1];
        _out[buffer] = name;
        return buffer;
    }

    private void GiveBack(byte[] buffer)
    {
        Assert.True(_out.TryRemove(buffer, out _), "a buffer given back twice, or never lent");
        _givenBack.Enqueue(buffer);
    }

    private static void Unexpected(string thread, Exception e) => throw new Xunit.Sdk.XunitException($"{thread} failed: {e}");

    private static void Poll(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++)
        {
            Thread.Sleep(10);
        }
        Assert.True(condition());
    }
}
