using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

/// <summary>
/// libzstd and liblz4 from the distribution (Debian's libzstd1 and liblz4-1), bound directly: the
/// NuGet copy here has no maintained binding that is NativeAOT-clean, and these five calls are all
/// crik needs. A missing library surfaces as <see cref="DllNotFoundException"/> on first use.
/// </summary>
internal static unsafe partial class Codecs
{
    private const string Zstd = "libzstd.so.1";
    private const string Lz4 = "liblz4.so.1";

    [LibraryImport(Zstd, EntryPoint = "ZSTD_compressBound")]
    internal static partial nuint ZstdCompressBound(nuint sourceSize);

    [LibraryImport(Zstd, EntryPoint = "ZSTD_compress")]
    internal static partial nuint ZstdCompress(byte* destination, nuint capacity, byte* source, nuint size, int level);

    [LibraryImport(Zstd, EntryPoint = "ZSTD_decompress")]
    internal static partial nuint ZstdDecompress(byte* destination, nuint capacity, byte* source, nuint size);

    [LibraryImport(Zstd, EntryPoint = "ZSTD_isError")]
    internal static partial uint ZstdIsError(nuint code);

    [LibraryImport(Lz4, EntryPoint = "LZ4_compressBound")]
    internal static partial int Lz4CompressBound(int sourceSize);

    [LibraryImport(Lz4, EntryPoint = "LZ4_compress_fast")]
    internal static partial int Lz4Compress(byte* source, byte* destination, int size, int capacity, int acceleration);

    [LibraryImport(Lz4, EntryPoint = "LZ4_decompress_safe")]
    internal static partial int Lz4Decompress(byte* source, byte* destination, int size, int capacity);
}
