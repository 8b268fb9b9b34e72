
namespace Crik.Cli.Chunks;

/// <summary>One read asked of a <see cref="ChunkReader"/>: which chunk, where it is read from, and its bytes (or why not) once done.</summary>
internal sealed class ChunkRead(IChunkSource source, int image, int index)
{
    /// <summary>Reads the chunk into a buffer of its own, once per attempt; gives the buffer back itself when it throws.</summary>
    public byte[] ReadOnce() => source.Read(image, index);

    /// <summary>The chunk's bytes, or what reading it threw; <see cref="ObjectDisposedException"/> when it was let go of first.</summary>
    public Task<byte[]> Bytes => Done.Task;

    internal TaskCompletionSource<byte[]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Ends the read as let go of (<see cref="ObjectDisposedException"/>), unless it has ended already; false then. Nobody
    /// need look at that end: one read ahead and let go of is expected, not a failure to report as unobserved.
    /// </summary>
    internal bool LetGo()
    {
        if (!Done.TrySetException(new ObjectDisposedException(nameof(ChunkReader))))
        {
            return false;
        }
        _ = Done.Task.Exception; // observed
        return true;
    }

    /// <summary>When a thread took it (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>); 0 while it waits in its queue.</summary>
    internal long Started { get; set; }

    internal bool Urgent { get; set; }

    internal bool Cancelled { get; set; }

    /// <summary>When the attempt under way was sent (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>); 0 before the first and once done.</summary>
    internal long AttemptStarted;
}

/// <summary>
/// A <see cref="ChunkReader"/>'s threads: <paramref name="Count"/> named <paramref name="Name"/> that take urgent
/// reads first, then reads ahead, and with <paramref name="UrgentName"/> one more for urgent reads only.
/// </summary>
/// <param name="AheadYields">The <paramref name="Count"/> threads run below the app's CPU priority (<see cref="Guarding.BackgroundThread.YieldToTheApp"/>):
/// the app runs while they read ahead, and its urgent reads have the thread of their own.</param>
internal sealed record ChunkReaderThreads(int Count, string Name, string? UrgentName = null, bool AheadYields = false);
