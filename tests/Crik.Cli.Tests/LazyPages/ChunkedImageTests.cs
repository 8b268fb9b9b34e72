using System.Security.Cryptography;
using Crik.Cli.Chunks;
using Crik.Cli.LazyPages;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>An image stored as chunks, read at any place and across chunks, every chunk checked before a byte of it is handed out.</summary>
[Trait("Category", "Unit")]
public sealed class ChunkedImageTests
{
    private const int ChunkBytes = 4096;
    private const int Chunks = 16;

    [Fact]
    public void ARangeAcrossChunksReadsEachOnceAndAChunkIsFoundByItsOffset()
    {
        var source = new CountingSource(Chunks * ChunkBytes);
        using var packs = new PackReader(new Crik.Cli.Tests.Chunks.PacksOf(_ => source), ChunkCodec.Plain);
        var image = new ChunkedImage(ChunkRefs(source.Bytes), packs, keyId: null);
        var range = new byte[(2 * ChunkBytes) + 100];

        image.Read((3 * ChunkBytes) + 50, range);

        Assert.True(source.Bytes.AsSpan((3 * ChunkBytes) + 50, range.Length).SequenceEqual(range));
        Assert.Equal([0, 0, 0, 1, 1, 1, 0], source.Reads[..7]);
        Assert.Equal(5, image.IndexAt((5 * ChunkBytes) + 1));
        Assert.Equal(5L * ChunkBytes, image.StartOf(5));
        Assert.True(source.Bytes.AsSpan(7 * ChunkBytes, ChunkBytes).SequenceEqual(image.ReadChunk(7)));
    }

    [Fact]
    public void ARunsChunksAreThoseItsFirstToItsLastByteAreIn()
    {
        var source = new CountingSource(Chunks * ChunkBytes);
        using var packs = new PackReader(new Crik.Cli.Tests.Chunks.PacksOf(_ => source), ChunkCodec.Plain);
        var image = new ChunkedImage(ChunkRefs(source.Bytes), packs, keyId: null);
        int pages = ChunkBytes / Crik.Cli.Criu.ImagePage.Bytes; // one chunk of pages (4 KiB pages: one page)

        Assert.Equal([3], image.IndexesOf(new PageRun(0x1000, pages, 3 * ChunkBytes, Lazy: true)));
        Assert.Equal([3, 4, 5], image.IndexesOf(new PageRun(0x1000, (2 * pages) + 1, 3 * ChunkBytes, Lazy: true)));
        Assert.All(source.Reads, r => Assert.Equal(0, r)); // finding them reads nothing
    }

    [Fact]
    public void AChunkThatIsNotWhatWasWrittenIsNeverHandedOut()
    {
        var source = new CountingSource(Chunks * ChunkBytes);
        List<ChunkRef> refs = ChunkRefs(source.Bytes);
        source.Bytes[(9 * ChunkBytes) + 7] ^= 0xff;
        using var packs = new PackReader(new Crik.Cli.Tests.Chunks.PacksOf(_ => source), ChunkCodec.Plain);
        var image = new ChunkedImage(refs, packs, keyId: null);

        Assert.Throws<ChunkException>(() => image.ReadChunk(9));
        Assert.Throws<ChunkException>(() => image.Read((8 * ChunkBytes) + 10, new byte[ChunkBytes]));
        Assert.Throws<ChunkException>(() => image.Read((Chunks * ChunkBytes) - 10, new byte[20])); // beyond its end
    }

    internal static List<ChunkRef> ChunkRefs(byte[] bytes) =>
        Enumerable.Range(0, bytes.Length / ChunkBytes)
            .Select(i => new ChunkRef(Convert.ToHexStringLower(SHA256.HashData(bytes.AsSpan(i * ChunkBytes, ChunkBytes))), 1, (long)i * ChunkBytes, ChunkBytes))
            .ToList();

    internal sealed class CountingSource : IPackSource
    {
        public CountingSource(int length)
        {
            Bytes = new byte[length];
            new Random(11).NextBytes(Bytes);
            Reads = new int[length / ChunkBytes];
        }

        public byte[] Bytes { get; }

        public int[] Reads { get; }

        /// <summary>The chunks read, in the order they were.</summary>
        public System.Collections.Concurrent.ConcurrentQueue<long> Order { get; } = new();

        /// <summary>Reads wait for this, when set (a store that is slow to answer).</summary>
        public ManualResetEventSlim? Gate { get; set; }

        public long? Length => Bytes.Length;

        /// <summary>Reads that have reached <see cref="Gate"/>.</summary>
        public int AtGate => Volatile.Read(ref _atGate);

        private int _atGate;

        /// <summary>What a read of the chunk at an offset throws instead of answering, when it returns one (a store in trouble).</summary>
        public Func<long, Exception?> Failure { get; set; } = _ => null;

        public int Read(Span<byte> into, long offset)
        {
            if (Failure(offset / ChunkBytes) is { } failure)
            {
                throw failure;
            }
            if (Gate is { } gate)
            {
                Interlocked.Increment(ref _atGate);
                gate.Wait();
            }
            Interlocked.Increment(ref Reads[offset / ChunkBytes]);
            Order.Enqueue(offset / ChunkBytes);
            int count = (int)Math.Min(into.Length, Bytes.Length - offset);
            Bytes.AsSpan((int)offset, count).CopyTo(into);
            return count;
        }

        public void Dispose()
        {
        }
    }
}
