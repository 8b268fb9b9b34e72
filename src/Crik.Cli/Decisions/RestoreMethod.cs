using Crik.Cli.Configuration;
using Crik.Cli.Logging;
using Crik.Cli.Model;

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

    /// <summary>Why a generation the user wants restored lazily is restored eagerly here, or null when it is restored lazily.</summary>
    /// <param name="allowedArea">The largest private memory area this node lets CRIU map writable.</param>
    /// <param name="lazyUnavailable">Why this node cannot restore lazily at all (no userfaultfd, say), or null.</param>
    public static string? WhyNotLazy(Manifest manifest, IReadOnlyList<RestoreRecord> restores, long allowedArea, Func<string?> lazyUnavailable) =>
        restores.Any(r => r.LoadFailed) ? "an earlier lazy restore of it could not bring all its memory in"
        // CRIU maps every private area writable before a lazy restore fills it, as from a stream.
        : manifest.LargestPrivateArea > allowedArea
            ? $"the app has a {Size.Format(manifest.LargestPrivateArea)} memory area, more than this node lets CRIU map writable "
                + $"({Size.Format(allowedArea)}; vm.overcommit_memory=1 allows it)"
            : lazyUnavailable();

    /// <summary>
    /// An eager restore of a streamed generation goes from image files at once when the app has a
    /// memory area larger than this node lets CRIU map writable from a stream; from files CRIU maps such
    /// areas as they were.
    /// </summary>
    public static bool FromFilesAtOnce(Manifest manifest, long allowedArea) =>
        manifest.Files.Any(f => f.IsStreamed) && manifest.LargestPrivateArea > allowedArea;

    /// <summary>
    /// After a failed restore from a stream, whether the same restore runs again from image files:
    /// when CRIU failed while laying out memory (the kernel refused to map an area larger than the
    /// node's memory writable), so nothing of the app ran, and every image arrived whole.
    /// </summary>
    public static bool RetryFromFiles(string criuFirstError, bool imagesArrivedWhole) =>
        imagesArrivedWhole && criuFirstError.Contains("Unable to map ANON_VMA: Cannot allocate memory", StringComparison.Ordinal);

    /// <summary>
    /// Whether a generation taken on a CPU this node lacks features of is restored here all the same
    /// (onCpuMismatch: restore); otherwise it stays where it is, for a node like the one it was taken on.
    /// </summary>
    public static bool RestoresDespite(string? cpuMismatch, CpuMismatchPolicy policy) =>
        cpuMismatch is null || policy == CpuMismatchPolicy.Restore;
}
