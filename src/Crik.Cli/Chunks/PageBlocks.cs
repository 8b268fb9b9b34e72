using System.Collections.Concurrent;
using Crik.Cli.Interop;

namespace Crik.Cli.Chunks;

/// <summary>
/// The buffers one run cuts chunks into: blocks of <see cref="PageChunker.MaxBytes"/> of crik's own
/// memory on huge pages (<see cref="HugePageMemory"/>), mapped as they are first needed and reused until
/// the run ends. A chunk read into a fresh buffer from the heap costs a page fault per 4 KiB, and in a
/// virtual machine those faults took longer than reading the pipe itself. The memory goes back to the
/// kernel when the run is disposed, or, for a block still in use then, when it is returned.
/// </summary>
internal sealed class PageBlocks : IChunkBuffers<HugePageMemory>, IDisposable
{
    private readonly ConcurrentBag<HugePageMemory> _free = [];
    private int _disposed;

    public HugePageMemory Rent() => _free.TryTake(out HugePageMemory? block) ? block : HugePageMemory.Map(PageChunker.MaxBytes);

    public Span<byte> Bytes(HugePageMemory buffer) => buffer.Bytes;

    public void Return(HugePageMemory buffer)
    {
        _free.Add(buffer);
        // Full fences on both sides: either this sees the dispose, or the dispose sees the block.
        if (Interlocked.Or(ref _disposed, 0) != 0)
        {
            UnmapFree();
        }
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _disposed, 1);
        UnmapFree();
    }

    private void UnmapFree()
    {
        while (_free.TryTake(out HugePageMemory? block))
        {
            block.Dispose();
        }
    }
}
