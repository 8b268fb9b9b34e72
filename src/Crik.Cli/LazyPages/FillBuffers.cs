using Crik.Cli.Chunks;

namespace Crik.Cli.LazyPages;

/// <summary>
/// The fill's buffers for chunks (each <see cref="PageChunker.MaxBytes"/>, the largest chunk): lent to a read, taken back as
/// they are and lent again, and cleared once, when the fill ends (<see cref="Dispose"/>), since they hold the app's
/// memory, maybe decrypted. Clearing each one as it came back was a tenth of an eager restore's time, on the thread that
/// copies the pages in. A buffer given back after the fill ended is cleared at once. Only as much of a buffer as was lent
/// for is ever cleared: a page of it that no chunk used is neither written nor faulted in.
/// </summary>
internal sealed class FillBuffers : IDisposable
{
    private readonly object _lock = new();
    private readonly Dictionary<byte[], int> _lent = new(ReferenceEqualityComparer.Instance);

    /// <summary>The buffers back, each with how far it was lent for (its bytes past that are still zero).</summary>
    private readonly Stack<(byte[] Buffer, int Used)> _free = new();
    private bool _ended;

    /// <summary>A buffer for <paramref name="length"/> bytes (at most a chunk's); its bytes past them are not zeros.</summary>
    public byte[] Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, PageChunker.MaxBytes);
        lock (_lock)
        {
            (byte[] buffer, int used) = _free.Count > 0 ? _free.Pop() : (new byte[PageChunker.MaxBytes], 0);
            _lent[buffer] = Math.Max(used, length);
            return buffer;
        }
    }

    public void Return(byte[] buffer)
    {
        lock (_lock)
        {
            if (!_lent.Remove(buffer, out int used))
            {
                return; // not lent here, or given back already
            }
            if (!_ended)
            {
                _free.Push((buffer, used));
                return;
            }
            buffer.AsSpan(0, used).Clear();
        }
    }

    /// <summary>The fill ended: every buffer back is cleared, and any given back later is cleared then.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _ended = true;
            while (_free.TryPop(out var free))
            {
                free.Buffer.AsSpan(0, free.Used).Clear();
            }
        }
    }
}
