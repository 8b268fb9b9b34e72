namespace Crik.Cli.Chunks;

/// <summary>What a failed read of a stored chunk says about the store, and so whether trying again can help.</summary>
internal enum ReadFailure
{
    /// <summary>The store did not answer, or answered "not now" (a 5xx, throttling, a timeout, a network volume gone away for a while): later it may.</summary>
    Transient,

    /// <summary>The chunk came back but is not what was written, or an object or file that should be there is gone: trying again cannot help.</summary>
    Permanent,

    /// <summary>
    /// No read failed as reads fail: crik's own code threw what no read throws (a reader thread that died, a bug). It says
    /// nothing of the store or the checkpoint.
    /// </summary>
    CriksOwn,
}

/// <summary>The one rule that tells a store's bad minutes from a checkpoint that cannot be read.</summary>
internal static class ReadFailures
{
    /// <summary>
    /// errno values a network volume (NFS, a CSI driver's FUSE mount) returns while its server or the
    /// network is away, and takes back once it is there again: EIO (a soft NFS mount's timeout), EAGAIN,
    /// ENETDOWN, ENETUNREACH, ECONNABORTED, ECONNRESET, ENOTCONN, ETIMEDOUT, EHOSTDOWN, EHOSTUNREACH, ESTALE.
    /// .NET puts the errno of a failed read in <see cref="Exception.HResult"/>. On a volume on this node's own disk they are the
    /// disk's failures, and the volume's store says so (a <see cref="DiskFailureException"/>).
    /// </summary>
    private static readonly int[] NetworkVolumeErrors = [5, 11, 100, 101, 103, 104, 107, 110, 112, 113, 116];

    /// <summary>Whether <paramref name="e"/> is a failed call's own error with one of the errnos a network volume takes back.</summary>
    public static bool IsNetworkVolumeError(IOException e) => e.GetType() == typeof(IOException) && NetworkVolumeErrors.Contains(e.HResult);

    /// <summary>Whether <paramref name="e"/>, or a failure it wraps, is this node's disk failing (<see cref="DiskFailureException"/>).</summary>
    public static bool FailedOnDisk(Exception e)
    {
        for (Exception? cause = e; cause is not null; cause = cause.InnerException)
        {
            if (cause is DiskFailureException)
            {
                return true;
            }
        }
        return false;
    }

    public static ReadFailure Classify(Exception e) => e switch
    {
        ChunkException or DiskFailureException => ReadFailure.Permanent,
        PackUnavailableException => ReadFailure.Transient,
        IOException io when IsNetworkVolumeError(io) => ReadFailure.Transient,
        IOException or UnauthorizedAccessException or FormatException => ReadFailure.Permanent,
        _ => ReadFailure.CriksOwn,
    };
}

/// <summary>A pack the store could not read now (no answer, a 5xx, throttling, a timeout); the store may answer later.</summary>
internal sealed class PackUnavailableException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>A call on a volume on this node's own disk that failed as its disk failed (EIO from a bad sector, say): waiting cannot mend it.</summary>
internal sealed class DiskFailureException : IOException
{
    public DiskFailureException(IOException failed)
        : base($"{failed.Message}; the volume is on this node's own disk, not a network file system, so its disk failed", failed) =>
        HResult = failed.HResult;
}
