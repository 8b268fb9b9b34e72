using System.Collections.Concurrent;

namespace Crik.Cli.Streaming;

/// <summary>
/// Buffers that never move (allocated pinned), for pages a pipe is handed by reference: the kernel
/// holds on to the memory itself, so the garbage collector must not move the array away from it and
/// put something else there.
/// </summary>
internal sealed class PinnedBufferPool(int bytes)
{
    private readonly ConcurrentBag<byte[]> _free = [];
    private readonly ConcurrentDictionary<byte[], int> _used = new(ReferenceEqualityComparer.Instance);

    /// <summary>A buffer of which the first <paramref name="used"/> bytes will be filled (and wiped when it comes back cleared).</summary>
    public byte[] Rent(int used)
    {
        byte[] buffer = _free.TryTake(out byte[]? free) ? free : GC.AllocateUninitializedArray<byte>(bytes, pinned: true);
        _used[buffer] = used;
        return buffer;
    }

    /// <summary><paramref name="clear"/> wipes what was used of it first (it held decrypted bytes).</summary>
    public void Return(byte[] buffer, bool clear)
    {
        if (_used.TryRemove(buffer, out int used) && clear)
        {
            Array.Clear(buffer, 0, used);
        }
        _free.Add(buffer);
    }
}
