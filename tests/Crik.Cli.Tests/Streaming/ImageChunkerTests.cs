using Crik.Cli.Chunks;
using Crik.Cli.Streaming;
using Xunit;

namespace Crik.Cli.Tests.Streaming;

/// <summary>An image that cannot be read to its end ends only once the chunks it had cut are stored or given up: none writes into the pack after.</summary>
[Trait("Category", "Unit")]
public sealed class ImageChunkerTests
{
    [Fact]
    public async Task AnImageWhoseSourceFailsEndsOnlyOnceTheStoresItStartedHaveEnded()
    {
        using var gate = new ManualResetEventSlim();
        var target = new HeldTarget(gate);
        using var pack = new PackWriter(1, target, new Dictionary<string, ChunkRef>(StringComparer.Ordinal), ChunkCodec.Plain);
        using var chunker = new ImageChunker(pack, new FirstFailure());
        byte[] memory = new byte[3 << 20]; // fewer chunks than may be in flight at once: the cut reaches the failure without waiting for a slot
        new Random(3).NextBytes(memory);

        Task taking = Task.Run(() => chunker.Take("pages-1.img", new FailingAfter(memory)));
        Assert.True(SpinWait.SpinUntil(() => target.Started > 0, TimeSpan.FromSeconds(30)), "no chunk was stored");
        // Held: the image must not end while a store it started still writes.
        Assert.NotSame(taking, await Task.WhenAny(taking, Task.Delay(500)));
        gate.Set();
        await Assert.ThrowsAsync<IOException>(() => taking.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(target.Started, target.Ended);
    }

    /// <summary>A pack whose writes wait for the test.</summary>
    private sealed class HeldTarget(ManualResetEventSlim gate) : IPackTarget
    {
        private int _started, _ended;

        public int Started => Volatile.Read(ref _started);

        public int Ended => Volatile.Read(ref _ended);

        public void Write(ReadOnlySpan<byte> data, long offset)
        {
            Interlocked.Increment(ref _started);
            gate.Wait();
            Interlocked.Increment(ref _ended);
        }

        public bool WantsPageAligned(ReadOnlySpan<byte> data) => false;

        public void Dispose()
        {
        }
    }

    /// <summary>The bytes, then a read error, as a pipe from a CRIU that failed gives.</summary>
    private sealed class FailingAfter(byte[] bytes) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) =>
            Position >= Length ? throw new IOException("criu stopped writing") : base.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => Position >= Length ? throw new IOException("criu stopped writing") : base.Read(buffer);
    }
}
