using Crik.Cli.Chunks;

namespace Crik.Cli.Processes;

/// <summary>
/// The memory of a lazily restored app still on its way in, as a checkpoint needs it: pausing the
/// background fill, which pages of each process are still as the checkpoint they came from had them,
/// and those pages' bytes in the store. A page crik never filled is unchanged since that checkpoint:
/// the app cannot change it without asking crik for it first.
/// </summary>
internal interface IArrivingMemory
{
    /// <summary>The background fill starts no more chunks (faults are still served) until <see cref="ResumeBackground"/>.</summary>
    void HoldBackground();

    /// <summary>Lets the background fill go on; idempotent, and a no-op once the fill has ended.</summary>
    void ResumeBackground();

    /// <summary>The bytes copied into the app so far, by faults and by the background fill.</summary>
    long CopiedBytes { get; }

    /// <summary>Each process crik still fills, as it is now. Call it with the app stopped.</summary>
    IReadOnlyList<UnfilledProcess> Unfilled();

    /// <summary>
    /// Each process crik still fills, at a glance while the app runs: nothing copied, no waiting, and of the kernel
    /// only whether a child forked since the restore has exited (one ioctl on its userfaultfd; such a child is let go of).
    /// Whether a process's memory is still its own is asked by <see cref="Unfilled"/>, once it is stopped.
    /// </summary>
    IReadOnlyList<ProcessAtAGlance> Glance();

    /// <summary>The chunks of the pages image its pages come from (pages-<paramref name="pagesId"/>.img of the checkpoint restored).</summary>
    IReadOnlyList<ChunkRef> Chunks(int pagesId);

    /// <summary>Reads one whole chunk of that pages image from the store, checked.</summary>
    byte[] ReadChunk(int pagesId, int index);
}

/// <summary>One process crik fills.</summary>
/// <param name="Pid">Its PID (in the images, which the restore kept).</param>
/// <param name="StartTime">When it started, from /proc/PID/stat, read when crik took its memory on: a PID used again since is another process.</param>
/// <param name="Forked">A child the app forked since the restore (whose own PID crik does not know).</param>
/// <param name="Alive">Whether the memory crik fills is still the process's: false once it exited or ran another program, null when crik cannot tell.</param>
internal sealed record UnfilledProcess(int Pid, string StartTime, int PagesId, bool Forked, IReadOnlyList<UnfilledArea> Areas, bool? Alive = true);

/// <summary>One process crik fills, at a glance (<see cref="IArrivingMemory.Glance"/>).</summary>
/// <param name="StartKnown">Its start was read when crik took its memory on (<see cref="UnfilledProcess.StartTime"/>).</param>
/// <param name="MissesPages">Some of its memory is still in the areas crik fills.</param>
internal readonly record struct ProcessAtAGlance(int Pid, bool Forked, bool StartKnown, bool MissesPages);

/// <summary>
/// A run of a process's pages where its checkpoint had them: at <see cref="Address"/> now (an mremap
/// moves it), their bytes at <see cref="Offset"/> in the pages image; <see cref="Filled"/> has a bit
/// set for each page crik filled since (pages the app dropped or unmapped are in no area).
/// </summary>
internal sealed record UnfilledArea(ulong Address, long Offset, long Pages, ulong[] Filled)
{
    public bool IsFilled(long page) => (Filled[page >> 6] & (1UL << (int)(page & 63))) != 0;
}
