using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Chunks;

/// <summary>
/// A pack's chunks of whole pages written with O_DIRECT, from crik's buffers to the disk, past the page cache, once
/// filling the cache has proved slow on this node (<see cref="CacheFillCost"/>). There, every 4 KiB of a chunk written
/// through the cache is a page the host backs again on its first write (14-25 µs a page on the machines measured), and
/// the SIGTERM checkpoint of a 2 GiB app spent more time there than in the dump itself (CRIU waited 260-290 ms for crik on
/// 108 MiB). Only the commit's flush makes them durable, as it does the cached ones.
/// Only on ext4 and XFS, the file systems of a node's local and block-device volumes: on a network file system (NFS,
/// CephFS) each such write would wait for the server, and on a tmpfs it would fill new pages all the same; those, and a
/// file system that refuses O_DIRECT, are written through the cache.
/// </summary>
internal sealed unsafe class DirectPackWrites : IDisposable
{
    private static readonly int Alignment = ImagePage.Bytes;

    private readonly SafeFileHandle _file;
    private volatile bool _refused;

    private DirectPackWrites(SafeFileHandle file) => _file = file;

    /// <summary>The pack opened again for O_DIRECT writes; null when it is not on ext4 or XFS, or its file system refuses them.</summary>
    public static DirectPackWrites? Open(SafeFileHandle pack)
    {
        // The same open file, by its descriptor: no name that could have been changed meanwhile is followed.
        string self = $"/proc/self/fd/{pack.DangerousGetHandle()}";
        if (FileSystemType.Of(self) is not (FileSystemType.Ext4 or FileSystemType.Xfs))
        {
            return null;
        }
        int fd = Libc.Open(self, OpenFlags.WriteOnly | OpenFlags.Direct | OpenFlags.CloseOnExec, 0);
        return fd >= 0 ? new DirectPackWrites(new SafeFileHandle(fd, ownsHandle: true)) : null;
    }

    /// <summary>Whether <paramref name="data"/> can be written past the cache (at an offset that is a multiple of a page).</summary>
    public bool Takes(ReadOnlySpan<byte> data)
    {
        fixed (byte* start = data)
        {
            return !_refused && data.Length > 0 && data.Length % Alignment == 0 && (nuint)start % (nuint)Alignment == 0;
        }
    }

    /// <summary>
    /// Writes <paramref name="data"/> at <paramref name="offset"/> past the cache, as far as it can: how many bytes it
    /// wrote, the rest to be written through the cache (all of it when the file system refuses such writes).
    /// </summary>
    public long Write(ReadOnlySpan<byte> data, long offset)
    {
        if (!Takes(data) || offset % Alignment != 0)
        {
            return 0;
        }
        fixed (byte* start = data)
        {
            long done = 0;
            while (done < data.Length)
            {
                nint wrote = Libc.Pwrite(_file, start + done, (nint)(data.Length - done), offset + done);
                if (wrote > 0)
                {
                    done += wrote;
                    continue;
                }
                Errno errno = wrote == 0 ? Errno.ENOSPC : Libc.LastErrno;
                if (errno == Errno.EINTR)
                {
                    continue;
                }
                if (errno == Errno.EINVAL)
                {
                    // This file system (or this disk's block size) takes no such writes, or not for what is left of a short one.
                    _refused |= done == 0;
                    return done;
                }
                throw Posix.Failure("pwrite of a pack", errno);
            }
            return done;
        }
    }

    public void Dispose() => _file.Dispose();
}
