using Crik.Cli.Interop;

namespace Crik.Cli.Chunks;

/// <summary>
/// The buffers pages images are cut into: blocks of <see cref="PageChunker.MaxBytes"/> of crik's own memory on huge pages
/// (<see cref="HugePageMemory"/>), mapped as they are first needed. A chunk read into a fresh buffer from the heap costs a
/// page fault per 4 KiB, and in a virtual machine those faults took longer than reading the pipe itself; a fresh huge page
/// costs the zeroing of 2 MiB. So up to <see cref="_keep"/> free blocks (the owner sizes it to what one run holds at once) are
/// kept from one run to the next, since periodic checkpoints each cut what the app wrote into them while CRIU holds the app;
/// between runs they are given to the kernel to take back lazily (<see cref="Rest"/>), so that a node short of memory reclaims
/// them before anything of the app's.
/// </summary>
internal sealed class PageBlocks : IChunkBuffers<HugePageMemory>
{
    private readonly Stack<HugePageMemory> _free = new();
    private readonly int _keep;

    internal PageBlocks(int keep) => _keep = keep;

    /// <summary>How many free blocks are kept now.</summary>
    public int Free
    {
        get
        {
            lock (_free)
            {
                return _free.Count;
            }
        }
    }

    public HugePageMemory Rent()
    {
        lock (_free)
        {
            if (_free.TryPop(out HugePageMemory? block))
            {
                return block;
            }
        }
        return HugePageMemory.Map(PageChunker.MaxBytes);
    }

    public Span<byte> Bytes(HugePageMemory buffer) => buffer.Bytes;

    /// <summary>The block is kept for the next chunk, or unmapped when enough are kept.</summary>
    public void Return(HugePageMemory buffer)
    {
        lock (_free)
        {
            if (_free.Count < _keep)
            {
                _free.Push(buffer);
                return;
            }
        }
        buffer.Dispose();
    }

    /// <summary>
    /// Called when a run ends: the free blocks' memory may be taken back by the kernel when it needs it (MADV_FREE), and
    /// is zeroed again only then. Only free blocks, under the lock that renting takes: a block being filled is never given up.
    /// </summary>
    public void Rest()
    {
        lock (_free)
        {
            foreach (HugePageMemory block in _free)
            {
                block.FreeLazily();
            }
        }
    }
}
