using Crik.Cli.Configuration;
using Crik.Cli.Logging;
using Crik.Cli.Records;

namespace Crik.Cli.Decisions;

/// <summary>
/// How a chosen generation is restored: lazily (the app runs before its memory is all in), eagerly
/// from crik's image stream, or eagerly from image files written out first.
/// </summary>
internal static class RestoreMethod
{
    /// <summary>Whether the user's lazyRestore setting asks for this generation to be restored lazily.</summary>
    public static bool LazyWanted(Manifest manifest, LazyRestoreMode mode) =>
        manifest.Files.Any(f => f.IsStreamed)
        && (mode == LazyRestoreMode.On || (mode == LazyRestoreMode.Auto && manifest.ImageBytes >= CrikConfig.LazyRestoreFrom));

    /// <summary>Why a generation the user wants restored lazily (or eagerly on crik's fill: <see cref="RestorePlan"/>) cannot be here, or null when it can.</summary>
    /// <param name="allowedArea">The largest private memory area this node lets CRIU map writable.</param>
    /// <param name="lazyUnavailable">Why this node cannot restore lazily at all (no userfaultfd, say), or null.</param>
    /// <param name="nodePageSize">This node's page size in bytes.</param>
    public static string? WhyNotLazy(Manifest manifest, IReadOnlyList<RestoreRecord> restores, long allowedArea, int nodePageSize, string? lazyUnavailable) =>
        restores.Any(r => r.LoadFailed) ? "an earlier lazy restore of it could not bring all its memory in"
        : PageSizeProblem(manifest.Host?.PageSize ?? LazyPageBytes, nodePageSize) is { } pages ? pages
        // CRIU maps every private area writable before a lazy restore fills it, as from a stream.
        : manifest.LargestPrivateArea > allowedArea
            ? $"the app has a {Size.Format(manifest.LargestPrivateArea)} memory area, more than this node lets CRIU map writable "
                + $"({Size.Format(allowedArea)}; vm.overcommit_memory=1 allows it)"
            : lazyUnavailable;

    /// <summary>
    /// Why a generation whose processes were stopped by other signals than SIGSTOP at the checkpoint is not
    /// restored on crik's fill here, or null when it can be: CRIU's --leave-stopped stops each with SIGSTOP,
    /// and the action script that stops it by its own signal again needs <paramref name="shell"/>.
    /// </summary>
    /// <param name="restops">Each such process, as "PID by SIGNAL".</param>
    public static string? WhyNotOnCriksFill(IReadOnlyList<string> restops, string shell, bool shellPresent) =>
        restops.Count == 0 || shellPresent ? null
        : $"{restops.Count} of its processes were stopped at the checkpoint by another signal than SIGSTOP ({string.Join(", ", restops)}), "
            + $"and stopping them so again after CRIU's --leave-stopped needs {shell}, which this container lacks";

    /// <summary>The page size crik's lazy fill works in; checkpoints that do not record theirs were taken with it.</summary>
    public const int LazyPageBytes = 4096;

    /// <summary>Why a lazy restore cannot fill this checkpoint's memory on this node: pages of another size, or not of 4 KiB; null when it can.</summary>
    public static string? PageSizeProblem(int checkpointPageSize, int nodePageSize) =>
        checkpointPageSize != nodePageSize ? $"it was taken with {Kib(checkpointPageSize)} pages and this node has {Kib(nodePageSize)} pages"
        : nodePageSize != LazyPageBytes ? $"this node has {Kib(nodePageSize)} pages, and crik fills a lazily restored app's memory in 4 KiB pages only"
        : null;

    private static string Kib(int bytes) => $"{bytes / 1024} KiB";

    /// <summary>
    /// An eager restore of a streamed generation goes from image files at once when the app has a
    /// memory area larger than this node lets CRIU map writable from a stream; from files CRIU maps such
    /// areas as they were.
    /// </summary>
    public static bool FromFilesAtOnce(Manifest manifest, long allowedArea) =>
        manifest.Files.Any(f => f.IsStreamed) && manifest.LargestPrivateArea > allowedArea;

    /// <summary>
    /// After a failed restore from a stream, whether the same restore runs again from image files:
    /// when CRIU failed while laying out memory, so nothing of the app ran: the kernel refused to map an
    /// area larger than the node's memory writable (and every image arrived whole), or CRIU's restorer
    /// could not read the pages of a private MAP_HUGETLB mapping, which it reads with pread, and a stream
    /// answers pread with ESPIPE (-29). A damaged chunk then fails the writing of the image files.
    /// </summary>
    public static bool RetryFromFiles(string criuFirstError, bool imagesArrivedWhole) =>
        criuFirstError.Contains("Can't read pages data (-29)", StringComparison.Ordinal)
        || (imagesArrivedWhole && criuFirstError.Contains("Unable to map ANON_VMA: Cannot allocate memory", StringComparison.Ordinal));

    /// <summary>
    /// Whether a generation taken on a CPU this node lacks features of is restored here all the same
    /// (onCpuMismatch: restore); otherwise it stays where it is, for a node like the one it was taken on.
    /// </summary>
    public static bool RestoresDespite(string? cpuMismatch, CpuMismatchPolicy policy) =>
        cpuMismatch is null || policy == CpuMismatchPolicy.Restore;
}
