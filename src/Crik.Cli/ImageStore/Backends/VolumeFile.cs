using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>A file on the volume held open (<see cref="VolumeBackend.OpenRead"/>): each range one pread loop, no reopen.</summary>
internal sealed class VolumeFile(SafeFileHandle file) : IBlobReader
{
    public int Read(Span<byte> into, long offset)
    {
        int total = 0;
        for (int read; total < into.Length && (read = RandomAccess.Read(file, into[total..], offset + total)) > 0;)
        {
            total += read;
        }
        return total;
    }

    public long? KnownLength => RandomAccess.GetLength(file);

    public void Dispose() => file.Dispose();
}
