using Crik.Cli.Chunks;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Tests.Chunks;

/// <summary>A test's chunk source, from its own functions.</summary>
internal sealed class ChunkSourceOf(Func<int, int, byte[]> read, Action<byte[]> giveBack) : IChunkSource
{
    public byte[] Read(int image, int index) => read(image, index);

    public void GiveBack(byte[] buffer) => giveBack(buffer);
}

/// <summary>A test's packs, from its own function.</summary>
internal sealed class PacksOf(Func<long, IPackSource?> open) : IPackOpener
{
    public IPackSource? Open(long pack) => open(pack);

    /// <summary>A reader of plaintext packs held in files, each opened by <paramref name="open"/> (null: missing).</summary>
    public static PackReader Files(Func<long, SafeFileHandle?> open) =>
        new(new PacksOf(pack => open(pack) is { } file ? new PackFileSource(file) : null), ChunkCodec.Plain);
}

/// <summary>A test's handler of what fails unexpectedly on a reader thread.</summary>
internal sealed class FailuresTo(Action<string, Exception> failed) : IUnexpectedFailures
{
    public void FailedUnexpectedly(string thread, Exception e) => failed(thread, e);
}

/// <summary>A test's watcher of the reads that fail.</summary>
internal sealed class ReadFailuresTo(Action<Task<byte[]>> failed) : IReadFailures
{
    public void Failed(Task<byte[]> read) => failed(read);
}
