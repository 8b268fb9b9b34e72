using Crik.Cli.Criu;
using Crik.Cli.HostCompatibility;
using Crik.Cli.Records;
using Crik.Cli.Streaming;
using Crik.Cli.WriteTracking;

namespace Crik.Cli.Checkpointing;

/// <summary>Everything of the app a dump captured, once its images are all stored: what its manifest says, and the commit's line.</summary>
/// <param name="Images">The images as stored, made whole or imported.</param>
/// <param name="LargestArea">The largest private memory area of the tree, read while it was stopped.</param>
/// <param name="Tree">Every PID and thread ID of the tree, read while it was stopped: the IDs a restore gives back.</param>
/// <param name="Written">What the app wrote since its last committed checkpoint, as far as crik tracked it.</param>
/// <param name="ExtraFiles">The files saved beside the images.</param>
/// <param name="Held">How long the dump held the app.</param>
internal sealed record CapturedApp(DumpSetup Setup, CriuResult Dump, AppHold Held, CaptureResult Images, long LargestArea, List<int> Tree, List<SavedFile> ExtraFiles, WrittenSinceCommit Written)
{
    /// <summary>The manifest that commits <paramref name="run"/>'s generation.</summary>
    public Manifest ManifestOf(DumpRun run, IReadOnlyList<string> additionalPaths, string criuVersion) => new()
    {
        Format = ManifestFileJson.HasPieces(Images.Images) ? Manifest.PackedPiecesFormat : Manifest.CurrentFormat,
        Generation = run.Generation,
        CreatedAt = DateTimeOffset.UtcNow,
        Command = run.App.Command,
        App = AppIdentity.Of(run.App.Command),
        CriuVersion = criuVersion,
        Host = HostFacts.Current(),
        RootPid = run.App.Pid,
        TreePids = Tree.Count > 0 ? Tree : Setup.Tree,
        Stdio = Setup.Stdio,
        ExternalMounts = Setup.Mounts,
        AdditionalPaths = additionalPaths,
        ExtraFiles = ExtraFiles,
        Files = Images.Images,
        DumpSeconds = Math.Round(Dump.Duration.TotalSeconds, 3),
        LargestPrivateArea = LargestArea,
        FirstTouched = run.App.Touches?.FirstTouched() is { Count: > 0 } touched ? touched : null,
    };
}
