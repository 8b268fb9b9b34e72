using System.Buffers;
using Crik.Cli.Chunks;
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
        Assert.All(chunks[..^1], c => Assert.Equal(0, c.Length % PageChunker.PageBytes));
        Assert.True(chunks.Count > 4, $"{chunks.Count} chunks: boundaries should come from content, not only at the maximum");
    }

    [Fact]
    public void MemoryThatMovedWithinTheImageStillYieldsTheSameChunks()
    {
        byte[] memory = Random(16 << 20, seed: 2);
        // A new mapping of 5 pages appears before it: every byte moves, as in a pages image.
        byte[] moved = Random(5 * PageChunker.PageBytes, seed: 3).Concat(memory).ToArray();
        var before = Cut(memory).Select(Convert.ToHexString).ToHashSet();
        List<byte[]> after = Cut(moved);
        long shared = after.Where(c => before.Contains(Convert.ToHexString(c))).Sum(c => (long)c.Length);
        Assert.True(shared > moved.Length * 8L / 10, $"only {shared} of {moved.Length} bytes are in chunks seen before");
    }

    [Fact]
    public void AnEmptyStreamHasNoChunks() => Assert.Empty(Cut([]));

    private static List<byte[]> Cut(byte[] input, int readAtMost = int.MaxValue)
    {
        var chunks = new List<byte[]>();
        PageChunker.Cut(new TrickleStream(input, readAtMost), (buffer, length) =>
        {
            chunks.Add(buffer.AsSpan(0, length).ToArray());
            ArrayPool<byte>.Shared.Return(buffer);
        });
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
