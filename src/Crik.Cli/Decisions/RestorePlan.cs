using Crik.Cli.Configuration;
using Crik.Cli.Logging;
using Crik.Cli.Records;

namespace Crik.Cli.Decisions;

/// <summary>One way CRIU restores a generation.</summary>
internal enum RestoreWay
{
    /// <summary>Lazily: the app runs before its memory is all in, and crik brings the rest in.</summary>
    Lazy,

    /// <summary>Eagerly on crik's fill: CRIU leaves the app stopped until crik has filled every page.</summary>
    OnCriksFill,

    /// <summary>Eagerly from crik's image stream.</summary>
    FromStream,

    /// <summary>Eagerly from image files written out of the chunks first.</summary>
    FromWrittenFiles,

    /// <summary>Eagerly from the image files the generation is made of (it was not checkpointed as chunks).</summary>
    FromItsFiles,
}

/// <summary>One restore of a plan, and why it is there: why it runs, or when it is tried.</summary>
internal readonly record struct PlannedRestore(RestoreWay Way, string Why);

/// <summary>What is known of this node when a restore is planned, read before the plan is made.</summary>
/// <param name="LazyUnavailable">Why this node cannot restore lazily at all (no userfaultfd, say), or null.</param>
/// <param name="AllowedArea">The largest private memory area this node lets CRIU map writable.</param>
/// <param name="PageSize">This node's page size in bytes.</param>
/// <param name="ShellPresent">Whether the shell that runs the script stopping processes by their own signal again is here.</param>
internal sealed record NodeFacts(string? LazyUnavailable, long AllowedArea, int PageSize, bool ShellPresent);

/// <summary>
/// The restores to try for a chosen generation, in order, and why: the first runs; a later one runs when the one
/// before it failed before the app ran and <see cref="FallsBack"/> says so. What the log says first (a restore the
/// configuration asks for that this node cannot do, and why) is part of the plan.
/// </summary>
/// <param name="Ways">The restores to try, in order.</param>
/// <param name="Said">What the log says before the first runs, one line each, after "Checkpoint N: ".</param>
internal sealed record RestorePlan(IReadOnlyList<PlannedRestore> Ways, IReadOnlyList<string> Said)
{
    private const string ThenStream = "when the restore before it fails before the app ran";
    private const string ThenFiles = "when CRIU cannot lay out the app's memory from a stream (RestoreMethod.RetryFromFiles)";

    /// <summary>
    /// The plan for <paramref name="manifest"/> on this node: a generation of image files from its files; a streamed one
    /// whose largest memory area this node will not let CRIU map writable from image files written out first; else lazily
    /// (lazyRestore) or on crik's fill where this node can, each falling back to the stream, which falls back to files.
    /// </summary>
    /// <param name="restores">The generation's earlier restores.</param>
    public static RestorePlan For(Manifest manifest, IReadOnlyList<RestoreRecord> restores, LazyRestoreMode mode, NodeFacts node)
    {
        if (!manifest.Files.Any(f => f.IsStreamed))
        {
            return new([new(RestoreWay.FromItsFiles, "it was checkpointed as image files")], []);
        }
        bool lazy = RestoreMethod.LazyWanted(manifest, mode);
        string asked = lazy ? "lazyRestore asks for it" : "an eager restore of a streamed generation runs on crik's fill where it can";
        string? whyNot = RestoreMethod.WhyNotLazy(manifest, restores, node.AllowedArea, node.PageSize, node.LazyUnavailable);
        List<string> said = whyNot is null ? [] : [lazy ? $"restoring it with all its memory first, not lazily: {whyNot}" : $"restoring it from CRIU's stream, not on crik's fill: {whyNot}"];
        if (RestoreMethod.FromFilesAtOnce(manifest, node.AllowedArea))
        {
            string why = $"the app has a {Size.Format(manifest.LargestPrivateArea)} memory area, more than this node lets CRIU map from a stream "
                + $"({Size.Format(node.AllowedArea)}); restoring it from image files";
            // On crik's fill is what crik does unasked: only a lazy restore the user asked for is said to be passed over.
            return new([new(RestoreWay.FromWrittenFiles, why)], [.. said.Where(_ => lazy), why]);
        }
        List<PlannedRestore> eager = [new(RestoreWay.FromStream, whyNot is null ? ThenStream : whyNot), new(RestoreWay.FromWrittenFiles, ThenFiles)];
        return whyNot is not null ? new(eager, said)
            : new([new(lazy ? RestoreWay.Lazy : RestoreWay.OnCriksFill, asked), .. eager], said);
    }

    /// <summary>
    /// Whether a restore that failed before the app ran is followed by the next of the plan: always after a lazy restore
    /// or one on crik's fill (what they left is gone); after one from the stream only when CRIU failed laying out the app's
    /// memory (<see cref="RestoreMethod.RetryFromFiles"/>); never after one from files.
    /// </summary>
    /// <param name="criuFirstError">The first error line of CRIU's log, when CRIU ran.</param>
    /// <param name="imagesArrivedWhole">Every image CRIU asked for arrived whole.</param>
    public static bool FallsBack(RestoreWay failed, string criuFirstError, bool imagesArrivedWhole) => failed switch
    {
        RestoreWay.Lazy or RestoreWay.OnCriksFill => true,
        RestoreWay.FromStream => RestoreMethod.RetryFromFiles(criuFirstError, imagesArrivedWhole),
        _ => false,
    };
}
