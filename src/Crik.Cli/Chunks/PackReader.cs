using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Chunks;

/// <summary>
/// Reads chunks back from the pack files they were written to, checking each against its SHA-256
/// before anyone sees a byte of it.
/// </summary>
internal sealed class PackReader(Func<long, SafeFileHandle?> openPack) : IDisposable
{
    private readonly Dictionary<long, SafeFileHandle?> _packs = [];

    /// <summary>Fills <paramref name="buffer"/> with the chunk's bytes; throws <see cref="ChunkException"/> when they are missing or do not match.</summary>
    public void Read(ChunkRef chunk, Span<byte> buffer)
    {
        SafeFileHandle pack = Pack(chunk.Pack) ?? throw new ChunkException($"pack {chunk.Pack} holding chunk {Short(chunk)} is missing");
        int total = 0;
        while (total < chunk.Length)
        {
            int read = RandomAccess.Read(pack, buffer[total..chunk.Length], chunk.Offset + total);
            if (read == 0)
            {
                throw new ChunkException($"pack {chunk.Pack} ends before chunk {Short(chunk)} (offset {chunk.Offset}, {chunk.Length} bytes)");
            }
            total += read;
        }
        if (PackWriter.Hash(buffer[..chunk.Length]) != chunk.Sha256)
        {
            throw new ChunkException($"chunk {Short(chunk)} in pack {chunk.Pack} (offset {chunk.Offset}) does not match its SHA-256");
        }
    }

    /// <summary>The length of a pack file, or null when it is missing.</summary>
    public long? PackLength(long pack) => Pack(pack) is { } handle ? RandomAccess.GetLength(handle) : null;

    public void Dispose()
    {
        lock (_packs)
        {
            foreach (SafeFileHandle? handle in _packs.Values)
            {
                handle?.Dispose();
            }
            _packs.Clear();
        }
    }

    private SafeFileHandle? Pack(long pack)
    {
        lock (_packs)
        {
            if (!_packs.TryGetValue(pack, out SafeFileHandle? handle))
            {
                _packs[pack] = handle = openPack(pack);
            }
            return handle;
        }
    }

    private static string Short(ChunkRef chunk) => chunk.Sha256.Length > 12 ? chunk.Sha256[..12] : chunk.Sha256;
}

/// <summary>A chunk that cannot be read back whole: missing, short, or not what was written.</summary>
internal sealed class ChunkException(string message) : IOException(message);
