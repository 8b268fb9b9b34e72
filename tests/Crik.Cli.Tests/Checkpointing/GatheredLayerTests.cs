using Crik.Cli.Checkpointing;
using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Streaming;
using Crik.Cli.Tests.Chunks;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// A layer gathered while the app runs holds the same bytes as the fragmented one, in whole chunks: those the store holds
/// already reused as they are, only those with writes in them stored anew; a piece that cannot be read fails the gather.
/// </summary>
[Trait("Category", "Unit")]
public sealed class GatheredLayerTests : IDisposable
{
    private static readonly int Page = ImagePage.Bytes;
    private const int Pages = 4096; // 16 MiB: some twenty chunks
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-gathered-layer-").FullName;

    [Fact]
    public void AGatheredLayerHoldsTheSameBytesInWholeChunksReusingThoseTheStoreHolds()
    {
        var random = new Random(7);
        byte[] memory = new byte[Pages * Page];
        random.NextBytes(memory);
        var known = new Dictionary<string, ChunkRef>(StringComparer.Ordinal);
        List<ChunkRef> first = Store(1, memory, known);

        // Checkpoint 2: a few pages written, each a chunk of its own; the rest slices of checkpoint 1's chunks around them.
        int[] written = [.. Enumerable.Range(0, 5).Select(_ => random.Next(Pages)).Distinct().Order()];
        List<ChunkRef> second = [];
        using (SafeFileHandle file = Pack(2))
        using (var pack = new PackWriter(2, file, known))
        {
            int at = 0;
            foreach (int page in written)
            {
                random.NextBytes(memory.AsSpan(page * Page, Page));
                second.AddRange(SlicesOf(first, at * Page, (page - at) * Page));
                second.Add(pack.Add(memory.AsSpan(page * Page, Page)));
                at = page + 1;
            }
            second.AddRange(SlicesOf(first, at * Page, (Pages - at) * Page));
        }
        foreach (ChunkRef chunk in second.Where(c => c.Pack == 2))
        {
            known[chunk.Id] = chunk;
        }
        var runs = new List<LaidOutRun> { new(0x7f0000000000, Pages, 0, FromDump: true, PagemapEntry.Present) };
        var fragmented = new PagesLayer(runs, second);

        PagesLayer gathered;
        using (PackReader packs = Reader())
        using (SafeFileHandle file = Pack(3))
        using (var pack = new PackWriter(3, file, known))
        using (var chunker = new ImageChunker(pack, new FirstFailure()))
        {
            gathered = GatheredLayer.Of(fragmented, null, packs, chunker, 3, "pages-gathered-1.img", new Enough(false));
            Assert.True(pack.WrittenBytes < memory.Length / 2, $"{pack.WrittenBytes} bytes stored anew: the chunks without writes are reused");
        }

        Assert.Equal(memory, BytesOf(gathered.Chunks));
        Assert.Equal(runs, gathered.Runs);
        Assert.Equal(3, gathered.ResolvedFor);
        Assert.DoesNotContain(gathered.Chunks, c => c.IsSlice);
        Assert.True(gathered.Chunks.Count < second.Count, $"{gathered.Chunks.Count} chunks for {second.Count} pieces");
        Assert.Contains(gathered.Chunks, c => c.Pack == 1);
    }

    [Fact]
    public void AFileInterleavingSlicesOfManyChunksReadsEachChunkOnce()
    {
        byte[] memory = new byte[Pages * Page];
        new Random(5).NextBytes(memory);
        List<ChunkRef> chunks = Store(1, memory, new Dictionary<string, ChunkRef>(StringComparer.Ordinal));
        Assert.True(chunks.Count > 12, $"{chunks.Count} chunks: more than the reader keeps");
        // A page of each chunk in turn, round and round: every chunk is in use all the way through, as the chunks of many
        // generations' copies are in a fragmented checkpoint.
        var pieces = new List<ChunkRef>();
        var expected = new MemoryStream();
        for (int page = 0; page < 8; page++)
        {
            foreach (ChunkRef chunk in chunks)
            {
                pieces.Add(chunk.Slice(page * Page, Page));
                expected.Write(memory, (int)(chunks.TakeWhile(c => c != chunk).Sum(c => (long)c.Size) + (page * Page)), Page);
            }
        }
        var reads = new List<(long Pack, long Offset)>();
        using (PackReader packs = Reader(reads))
        using (var stream = new PiecesStream(pieces, packs, null))
        using (var all = new MemoryStream())
        {
            stream.CopyTo(all);
            Assert.Equal(expected.ToArray(), all.ToArray());
        }
        Assert.Equal(chunks.Count, reads.Distinct().Count());
        Assert.True(reads.Count < 2 * chunks.Count, $"{reads.Count} reads for {chunks.Count} chunks: each is read once (a pread may come in parts)");
    }

    [Fact]
    public void APieceThatCannotBeReadFailsTheGather()
    {
        byte[] memory = new byte[64 * Page];
        new Random(3).NextBytes(memory);
        var known = new Dictionary<string, ChunkRef>(StringComparer.Ordinal);
        List<ChunkRef> first = Store(1, memory, known);
        var layer = new PagesLayer([new LaidOutRun(0x7f0000000000, 64, 0, FromDump: true, PagemapEntry.Present)],
            [.. first.Select(c => c with { Pack = 9 })]); // a pack the store no longer has

        using PackReader packs = Reader();
        using SafeFileHandle file = Pack(3);
        using var pack = new PackWriter(3, file, known);
        using var chunker = new ImageChunker(pack, new FirstFailure());
        Assert.Throws<ChunkException>(() => GatheredLayer.Of(layer, null, packs, chunker, 3, "pages-gathered-1.img", new Enough(false)));
        Assert.Throws<OperationCanceledException>(() =>
            GatheredLayer.Of(layer with { Chunks = first }, null, packs, chunker, 3, "pages-gathered-1.img", new Enough(true)));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class Enough(bool enough) : IEnoughRead
    {
        bool IEnoughRead.Enough => enough;
    }

    private List<ChunkRef> Store(long generation, byte[] bytes, Dictionary<string, ChunkRef> known)
    {
        using SafeFileHandle file = Pack(generation);
        using var pack = new PackWriter(generation, file, known);
        using var chunker = new ImageChunker(pack, new FirstFailure());
        List<ChunkRef> chunks = [.. chunker.Take("pages-1.img", new MemoryStream(bytes)).Chunks!];
        foreach (ChunkRef chunk in chunks)
        {
            known[chunk.Id] = chunk;
        }
        return chunks;
    }

    /// <summary>The pieces of <paramref name="chunks"/> (an image of them in order) that hold its bytes from <paramref name="from"/>.</summary>
    private static IEnumerable<ChunkRef> SlicesOf(List<ChunkRef> chunks, long from, long take)
    {
        long start = 0;
        foreach (ChunkRef chunk in chunks)
        {
            long end = start + chunk.Size;
            long a = Math.Max(start, from), b = Math.Min(end, from + take);
            if (a < b)
            {
                yield return chunk.Slice((int)(a - start), (int)(b - a));
            }
            start = end;
        }
    }

    private byte[] BytesOf(IReadOnlyList<ChunkRef> chunks)
    {
        using PackReader packs = Reader();
        using var stream = new PiecesStream(chunks, packs, null);
        using var all = new MemoryStream();
        stream.CopyTo(all);
        return all.ToArray();
    }

    private PackReader Reader(List<(long Pack, long Offset)>? reads = null) =>
        new(new PacksOf(pack => File.Exists(PackPath(pack)) ? new CountedReads(pack, File.OpenHandle(PackPath(pack)), reads ?? []) : null), ChunkCodec.Plain);

    /// <summary>A pack file whose reads are noted, by pack and offset.</summary>
    private sealed class CountedReads(long pack, SafeFileHandle file, List<(long Pack, long Offset)> reads) : IPackSource
    {
        public long? Length => RandomAccess.GetLength(file);

        public int Read(Span<byte> into, long offset)
        {
            reads.Add((pack, offset));
            return RandomAccess.Read(file, into, offset);
        }

        public void Dispose() => file.Dispose();
    }

    private SafeFileHandle Pack(long generation) => File.OpenHandle(PackPath(generation), FileMode.CreateNew, FileAccess.ReadWrite);

    private string PackPath(long generation) => Path.Combine(_dir, $"{generation:D6}.pack");
}
