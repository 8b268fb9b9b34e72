using Crik.Cli.Configuration;
using Crik.Cli.Interop;

namespace Crik.Cli.Chunks;

/// <summary>Compressing and decompressing one chunk with libzstd or liblz4.</summary>
internal static unsafe class Compression
{
    public const int DefaultZstdLevel = 3;

    /// <summary>The most bytes compressing <paramref name="size"/> bytes can take.</summary>
    public static int Bound(CompressionKind kind, int size) => kind switch
    {
        CompressionKind.Zstd => checked((int)Codecs.ZstdCompressBound((nuint)size)),
        CompressionKind.Lz4 => Codecs.Lz4CompressBound(size),
        _ => size,
    };

    /// <summary>Compresses into <paramref name="output"/> (at least <see cref="Bound"/> long); returns the length.</summary>
    public static int Compress(CompressionKind kind, int level, ReadOnlySpan<byte> input, Span<byte> output)
    {
        fixed (byte* source = input)
        fixed (byte* destination = output)
        {
            if (kind == CompressionKind.Zstd)
            {
                nuint written = Codecs.ZstdCompress(destination, (nuint)output.Length, source, (nuint)input.Length, level);
                return Codecs.ZstdIsError(written) != 0 ? throw new IOException("zstd could not compress a chunk") : (int)written;
            }
            int length = Codecs.Lz4Compress(source, destination, input.Length, output.Length, Math.Max(1, level));
            return length > 0 ? length : throw new IOException("lz4 could not compress a chunk");
        }
    }

    /// <summary>Decompresses exactly <paramref name="output"/>.Length bytes; anything else is a corrupt chunk.</summary>
    public static void Decompress(CompressionKind kind, ReadOnlySpan<byte> input, Span<byte> output)
    {
        fixed (byte* source = input)
        fixed (byte* destination = output)
        {
            long produced;
            if (kind == CompressionKind.Zstd)
            {
                nuint result = Codecs.ZstdDecompress(destination, (nuint)output.Length, source, (nuint)input.Length);
                produced = Codecs.ZstdIsError(result) != 0 ? -1 : (long)result;
            }
            else
            {
                produced = Codecs.Lz4Decompress(source, destination, input.Length, output.Length);
            }
            if (produced != output.Length)
            {
                throw new ChunkException($"a {kind.ToString().ToLowerInvariant()} chunk does not decompress to its {output.Length} bytes");
            }
        }
    }

    /// <summary>Null when the library for <paramref name="kind"/> can be loaded; otherwise how to install it.</summary>
    public static string? Unavailable(CompressionKind kind)
    {
        if (kind == CompressionKind.None)
        {
            return null;
        }
        try
        {
            _ = Bound(kind, 4096);
            return null;
        }
        catch (DllNotFoundException)
        {
            return kind == CompressionKind.Zstd
                ? "compression: zstd needs libzstd.so.1, which this container lacks (Debian: apt-get install libzstd1)"
                : "compression: lz4 needs liblz4.so.1, which this container lacks (Debian: apt-get install liblz4-1)";
        }
    }
}
