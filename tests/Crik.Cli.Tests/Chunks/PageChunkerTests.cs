using System.Buffers;
using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Xunit;

namespace Crik.Cli.Tests.Chunks;

public class PageChunkerTests
{
    [Fact]
    public void ChunksJoinBackIntoTheInputAndKeepToTheirBounds()
    {
        byte[] input = Random(9 << 20, seed: 1).Concat(new byte[123]).ToArray();
        List<byte[]> chunks = Cut(input, readAtMost: 70_000);
        Assert.Equal(input, chunks.SelectMany(c => c).ToArray());
        Assert.All(chunks[..^1], c => Assert.InRange(c.Length, PageChunker.MinBytes, PageChunker.MaxBytes));
        Assert.All(chunks[..^1], c => Assert.Equal(0, c.Length % ImagePage.Bytes));
        Assert.True(chunks.Count > 4, $"{chunks.Count} chunks: boundaries should come from content, not only at the maximum");
    }

    [Fact]
    public void MemoryThatMovedWithinTheImageStillYieldsTheSameChunks()
    {
        byte[] memory = Random(16 << 20, seed: 2);
        // A new mapping of 5 pages appears before it: every byte moves, as in a pages image.
        byte[] moved = Random(5 * ImagePage.Bytes, seed: 3).Concat(memory).ToArray();
        var before = Cut(memory).Select(Convert.ToHexString).ToHashSet();
        List<byte[]> after = Cut(moved);
        long shared = after.Where(c => before.Contains(Convert.ToHexString(c))).Sum(c => (long)c.Length);
        Assert.True(shared > moved.Length * 8L / 10, $"only {shared} of {moved.Length} bytes are in chunks seen before");
    }

    [Fact]
    public void AnEmptyStreamHasNoChunks() => Assert.Empty(Cut([]));

    [Fact]
    public void WithAKeyBoundariesDependOnTheKeyAndOneKeyCutsMovedMemoryTheSameWay()
    {
        BoundaryKey a = BoundaryKey.From(Random(16, seed: 4)), b = BoundaryKey.From(Random(16, seed: 5));
        byte[] memory = Random(16 << 20, seed: 2);
        List<int> plain = Cut(memory).Select(c => c.Length).ToList();
        List<int> underA = Cut(memory, key: a).Select(c => c.Length).ToList();
        Assert.NotEqual(plain, underA);
        Assert.NotEqual(underA, Cut(memory, key: b).Select(c => c.Length).ToList());
        Assert.True(underA.Count > 4, $"{underA.Count} chunks: a key must keep boundaries coming from content");

        byte[] moved = Random(5 * ImagePage.Bytes, seed: 3).Concat(memory).ToArray();
        var before = Cut(memory, key: a).Select(Convert.ToHexString).ToHashSet();
        long shared = Cut(moved, key: a).Where(c => before.Contains(Convert.ToHexString(c))).Sum(c => (long)c.Length);
        Assert.True(shared > moved.Length * 8L / 10, $"only {shared} of {moved.Length} bytes are in chunks seen before under the same key");
    }

    [Fact]
    public void TheBoundaryHashIsSipHash24()
    {
        // The reference implementation's vector for key 00..0f and the eight bytes 00..07.
        BoundaryKey key = BoundaryKey.From(Enumerable.Range(0, 16).Select(i => (byte)i).ToArray());
        Assert.Equal(0x93f5f5799a932462UL, key.Hash(0x0706050403020100UL));
    }

    private static List<byte[]> Cut(byte[] input, int readAtMost = int.MaxValue, BoundaryKey? key = null)
    {
        var chunks = new List<byte[]>();
        PageChunker.Cut(new TrickleStream(input, readAtMost), (buffer, length) =>
        {
            chunks.Add(buffer.AsSpan(0, length).ToArray());
            ArrayPool<byte>.Shared.Return(buffer);
        }, key);
        return chunks;
    }

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A stream that hands out at most so many bytes per read, as a pipe does.</summary>
    private sealed class TrickleStream(byte[] data, int readAtMost) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, readAtMost));
    }
}
