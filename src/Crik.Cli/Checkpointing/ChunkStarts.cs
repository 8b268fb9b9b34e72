using Crik.Cli.Chunks;

namespace Crik.Cli.Checkpointing;

/// <summary>A pages image's chunks, in order, with where each starts in the image, to find the chunk that holds an offset.</summary>
internal sealed class ChunkStarts
{
    private readonly IReadOnlyList<ChunkRef> _chunks;
    private readonly long[] _starts;

    public ChunkStarts(IReadOnlyList<ChunkRef> chunks)
    {
        _chunks = chunks;
        _starts = new long[chunks.Count + 1];
        for (int i = 0; i < chunks.Count; i++)
        {
            _starts[i + 1] = _starts[i] + chunks[i].Size;
        }
    }

    public ChunkRef this[int index] => _chunks[index];

    /// <summary>The image's size: where a chunk after its last would start.</summary>
    public long ImageBytes => _starts[^1];

    public long StartOf(int index) => _starts[index];

    public long EndOf(int index) => _starts[index] + _chunks[index].Size;

    /// <summary>The chunk that holds the byte at <paramref name="offset"/>.</summary>
    public int IndexOf(long offset)
    {
        int index = Array.BinarySearch(_starts, offset);
        return index < 0 ? ~index - 1 : index;
    }
}
