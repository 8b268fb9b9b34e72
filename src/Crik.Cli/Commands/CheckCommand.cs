using Crik.Cli.Checkpointing;
using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.Logging;
using Crik.Cli.ObjectStorage;
using Crik.Cli.Privileges;
using Crik.Cli.Processes;
using Crik.Cli.Supervision;
using Serilog.Core;

namespace Crik.Cli.Commands;

/// <summary>
/// <c>crik check</c>: says in plain words what this container lets crik and CRIU do, and what will
/// fail; exit 0 only when a checkpoint and a restore can work. Meant for <c>kubectl exec POD -- crik check</c>.
/// </summary>
internal static class CheckCommand
{
    public static int Execute(string? configPath)
    {
        LoadedConfig loaded;
        IReadOnlyList<string> keyWarnings = [];
        try
        {
            loaded = ConfigLoader.Load(configPath);
            if (loaded.Config.CheckpointingEnabled)
            {
                _ = ImageCodec.From(loaded.Config, out keyWarnings); // crik run refuses what it refuses: a key file missing, a codec not here
            }
        }
        catch (ConfigException e)
        {
            StandardStreams.Error.WriteLine($"crik: error: {e.Message}");
            return ExitCodes.UsageError;
        }
        string? criuVersion = null;
        bool? dirtyMemoryTracking = null;
        if (OnPath("criu"))
        {
            using Logger quiet = LogSetup.Create(Serilog.Events.LogEventLevel.Fatal, LogFormat.Text);
            var criu = new CriuRunner(new ChildReaper(quiet));
            criuVersion = criu.VersionAsync().GetAwaiter().GetResult();
            dirtyMemoryTracking = criu.HasFeatureAsync("mem_dirty_track").GetAwaiter().GetResult();
        }
        ContainerFacts facts = ContainerFactsReader.Read(loaded.Config.ImageDir, criuVersion) with { DirtyMemoryTracking = dirtyMemoryTracking };
        if (loaded.Config.ImageDir is { } imageDir && S3Address.IsS3(imageDir))
        {
            StoreProbeResult store = ProbeStore(imageDir);
            facts = facts with { ImageDirProblem = store.Problem, StoreConditionalWrites = store.ConditionalWrites };
        }
        else if (loaded.Config.ImageDir is { } volume)
        {
            facts = facts with { ImageDirProblem = facts.ImageDirProblem ?? ListProblem(volume), ImageDirNotKept = Carrying.ImageDirMount.NotOnAVolume(volume) };
        }
        List<Finding> findings = [.. ContainerVerdict.Of(facts), .. loaded.Warnings.Concat(keyWarnings).Select(w => new Finding(FindingKind.Note, w))];
        if (facts.Pid1 == "crik")
        {
            // In the app's container: what of the app itself would stop its checkpoints.
            findings.AddRange(Undumpable.InThisContainer().Select(why => new Finding(FindingKind.Problem, why)));
        }
        foreach (Finding finding in findings)
        {
            string label = finding.Kind switch { FindingKind.Ok => "ok     ", FindingKind.Problem => "PROBLEM", _ => "note   " };
            StandardStreams.Output.WriteLine($"{label} {finding.Text}");
        }
        int problems = findings.Count(f => f.Kind == FindingKind.Problem);
        StandardStreams.Output.WriteLine(problems == 0
            ? "crik check: checkpoint and restore can work in this container"
            : $"crik check: {problems} problem{(problems == 1 ? "" : "s")} would stop checkpoints in this container");
        return problems == 0 ? 0 : ExitCodes.CheckFoundProblems;
    }

    /// <summary>Uses the store as a checkpoint would, within <see cref="StoreProbeLimit"/>.</summary>
    private static StoreProbeResult ProbeStore(string imageDir)
    {
        try
        {
            return StoreProbe.Run(CheckpointStores.S3(imageDir), StoreProbeLimit);
        }
        catch (FormatException e)
        {
            return new StoreProbeResult(e.Message, null);
        }
    }

    /// <summary>
    /// Why crik run could not list the volume's image directory as it does at start (crik's own
    /// entries, refusing links and files where its directories belong), or null; null too while it
    /// does not exist yet, since crik creates it on first use.
    /// </summary>
    private static string? ListProblem(string imageDir)
    {
        if (!Directory.Exists(imageDir))
        {
            return null;
        }
        try
        {
            using var backend = new ImageStore.Backends.CountedBackend(new ImageStore.Backends.VolumeBackend(imageDir, Serilog.Core.Logger.None, readOnly: true), Observing.Tallies.Volume);
            _ = ImageStore.StoreListingReader.ReadListing(backend, Serilog.Core.Logger.None);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"crik cannot list it ({e.Message}), so crik run would start nothing there: it cannot tell whether a checkpoint is there";
        }
    }

    /// <summary>Long enough for the client's retries (about six seconds) to see a store through a brief failure.</summary>
    private static readonly TimeSpan StoreProbeLimit = TimeSpan.FromSeconds(15);

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));
}
