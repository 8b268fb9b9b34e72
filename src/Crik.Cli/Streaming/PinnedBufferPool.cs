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

    public byte[] Rent() => _free.TryTake(out byte[]? buffer) ? buffer : GC.AllocateUninitializedArray<byte>(bytes, pinned: true);

    /// <summary><paramref name="clear"/> wipes it first (it held decrypted bytes).</summary>
    public void Return(byte[] buffer, bool clear)
    {
        if (clear)
        {
            Array.Clear(buffer);
        }
        _free.Add(buffer);
    }
}
