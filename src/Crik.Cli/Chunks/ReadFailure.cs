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
    /// .NET puts the errno of a failed read in <see cref="Exception.HResult"/>.
    /// </summary>
    private static readonly int[] NetworkVolumeErrors = [5, 11, 100, 101, 103, 104, 107, 110, 112, 113, 116];

    public static ReadFailure Classify(Exception e) => e switch
    {
        ChunkException => ReadFailure.Permanent,
        PackUnavailableException => ReadFailure.Transient,
        IOException io when io.GetType() == typeof(IOException) && NetworkVolumeErrors.Contains(io.HResult) => ReadFailure.Transient,
        IOException or UnauthorizedAccessException or FormatException => ReadFailure.Permanent,
        _ => ReadFailure.CriksOwn,
    };
}

/// <summary>A pack the store could not read now (no answer, a 5xx, throttling, a timeout); the store may answer later.</summary>
internal sealed class PackUnavailableException(string message, Exception? inner = null) : IOException(message, inner);
