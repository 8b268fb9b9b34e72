using Crik.Cli.Chunks;

namespace Crik.Cli.Checkpointing;

/// <summary>A pages image's chunks, in order, with where each starts in the image, to find the chunk that holds an offset (one splice's, one thread's).</summary>
internal sealed class ChunkStarts
{
    private readonly IReadOnlyList<ChunkRef> _chunks;
    private readonly long[] _starts;
    private int _last;

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
        // A splice asks in the image's order, mostly for the chunk it asked for last or the next: those are tried first.
        for (int index = _last; index <= _last + 1 && index < _chunks.Count; index++)
        {
            if (_starts[index] <= offset && offset < _starts[index + 1])
            {
                return _last = index;
            }
        }
        int found = Array.BinarySearch(_starts, offset);
        int holding = found < 0 ? ~found - 1 : found;
        _last = Math.Max(holding, 0);
        return holding;
    }
}
