using System.Buffers;

namespace Crik.Cli.Chunks;

/// <summary>Where <see cref="PageChunker"/> gets the buffers it cuts chunks into, each at least <see cref="PageChunker.MaxBytes"/> long.</summary>
internal interface IChunkBuffers<TBuffer>
{
    TBuffer Rent();

    Span<byte> Bytes(TBuffer buffer);

    void Return(TBuffer buffer);
}

/// <summary>Arrays from <see cref="ArrayPool{T}.Shared"/>.</summary>
internal sealed class PooledArrays : IChunkBuffers<byte[]>
{
    public static readonly PooledArrays Shared = new();

    public byte[] Rent() => ArrayPool<byte>.Shared.Rent(PageChunker.MaxBytes);

    public Span<byte> Bytes(byte[] buffer) => buffer;

    public void Return(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);
}
