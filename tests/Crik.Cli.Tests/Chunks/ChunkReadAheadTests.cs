using System.Collections.Concurrent;
using Crik.Cli.Chunks;
using Xunit;

namespace Crik.Cli.Tests.Chunks;

/// <summary>
/// The one read-ahead engine, as both restores use it: no more reads at once than it has threads, nothing read
/// after a chunk that failed, no thread left once it is disposed, and a thread that dies fails every read not done.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ChunkReadAheadTests
{
    private readonly ConcurrentDictionary<byte[], int> _out = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentQueue<int> _read = new();
    private int _reading, _mostReading;

    [Fact]
    public void NoMoreChunksAreReadAtOnceThanTheEngineHasThreadsAndTheyComeInOrder()
    {
        using var gate = new ManualResetEventSlim();
        using var reads = Engine(threads: 3, "test reader", i => Read(i, gate));
        using var chunks = new ChunksInOrder(reads, image: 0, 30, depth: 6);

        Poll(() => Volatile.Read(ref _reading) == 3);
        Thread.Sleep(100); // six are asked for: the other three wait for a thread
        Assert.Equal(3, Volatile.Read(ref _reading));
        gate.Set();
        for (int i = 0; i < 30; i++)
        {
            byte[] buffer = chunks.Take(i);
            Assert.Equal(i, buffer[0]);
            chunks.GiveBack(buffer);
        }

        Assert.Equal(3, Volatile.Read(ref _mostReading));
        Assert.Empty(_out);
    }

    [Fact]
    public void NoChunkAfterOneThatFailedIsReadAndEveryBufferComesBack()
    {
        using var gate = new ManualResetEventSlim();
        byte[] FirstWaitsSecondFails(int i) => i switch
        {
            0 => Read(i, gate),
            1 => throw new ChunkException("chunk 1 does not match its SHA-256"),
            _ => Read(i),
        };
        using (var reads = Engine(threads: 1, "test reader", FirstWaitsSecondFails))
        using (var chunks = new ChunksInOrder(reads, image: 0, 10, depth: 4))
        {
            Poll(() => Volatile.Read(ref _reading) == 1); // chunks 1 to 3 wait behind chunk 0
            gate.Set();
            chunks.GiveBack(chunks.Take(0));
            Assert.Equal("chunk 1 does not match its SHA-256", Assert.Throws<ChunkException>(() => chunks.Take(1)).Message);
            Thread.Sleep(100);
        }

        Assert.Equal([0], _read);
        Assert.Empty(_out);
    }

    [Fact]
    public async Task DisposedItLeavesNoThreadBehindAndGivesBackTheBuffersOfReadsUnderWay()
    {
        const string Name = "crik ra dispose", Urgent = "crik ra urgent";
        using var gate = new ManualResetEventSlim();
        var reads = new ChunkReadAhead(new ChunkReaderThreads(2, Name, Urgent), new ChunkSourceOf((_, i) => Read(i, gate), GiveBack),
            patience: null, failed: new FailuresTo(Unexpected));
        Task<byte[]>[] asked = [.. Enumerable.Range(0, 5).Select(i => reads.Get(0, i, urgent: i == 4))];
        Poll(() => Volatile.Read(ref _reading) >= 2);
        Poll(() => Threads(Name, Urgent) == 3); // a thread names itself once it runs, which may be after two reads began

        reads.Dispose();
        gate.Set();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => reads.Get(0, 9, urgent: true));
        foreach (Task<byte[]> read in asked)
        {
            await Assert.ThrowsAsync<ObjectDisposedException>(() => read.WaitAsync(TimeSpan.FromSeconds(10))); // under way or not started
        }
        Poll(() => Threads(Name, Urgent) == 0 && _out.IsEmpty);
    }

    [Fact]
    public async Task AThreadThatDiesIsToldOfFirstThenFailsEveryReadNotDone()
    {
        string? told = null;
        using var reads = new ChunkReadAhead(new ChunkReaderThreads(1, "test reader"), new ChunkSourceOf((_, i) => i == 0 ? throw new IOException("bad") : Read(i), GiveBack),
            patience: null, failed: new FailuresTo((name, _) => told = name));
        reads.Watch(new ReadFailuresTo(_ => throw new InvalidOperationException("a bug outside a chunk's read")));
        Task<byte[]> first = reads.Get(0, 0, urgent: false), second = reads.Get(0, 1, urgent: false);

        await Assert.ThrowsAsync<IOException>(() => first.WaitAsync(TimeSpan.FromSeconds(10)));
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => second.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal("test reader", told);
        Assert.StartsWith("test reader failed unexpectedly: System.InvalidOperationException: a bug outside a chunk's read", failed.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => reads.Get(0, 2, urgent: true));
        Assert.Empty(_read);
    }

    /// <summary>This process's threads of these names (as /proc shows them: the engine's threads are named as they start).</summary>
    private static int Threads(params string[] names) => Directory.GetDirectories("/proc/self/task").Count(task =>
    {
        try
        {
            return names.Contains(File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'));
        }
        catch (IOException)
        {
            return false; // a thread that ended while the tasks were listed
        }
    });

    private ChunkReadAhead Engine(int threads, string name, Func<int, byte[]> read) =>
        new(new ChunkReaderThreads(threads, name), new ChunkSourceOf((_, i) => read(i), GiveBack), patience: null, failed: new FailuresTo(Unexpected));

    /// <summary>Reads chunk <paramref name="index"/>, once <paramref name="gate"/> is open, counting the reads under way.</summary>
    private byte[] Read(int index, ManualResetEventSlim? gate = null)
    {
        int now = Interlocked.Increment(ref _reading);
        for (int most; now > (most = Volatile.Read(ref _mostReading)) && Interlocked.CompareExchange(ref _mostReading, now, most) != most;)
        {
        }
        Assert.True(gate?.Wait(TimeSpan.FromSeconds(10)) ?? true);
        Thread.Sleep(1);
        var buffer = new byte[] { (byte)index };
        _out[buffer] = index;
        _read.Enqueue(index);
        Interlocked.Decrement(ref _reading);
        return buffer;
    }

    private void GiveBack(byte[] buffer) => Assert.True(_out.TryRemove(buffer, out _), "a buffer given back twice, or never lent");

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
