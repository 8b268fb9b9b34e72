using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.Logging;
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
        try
        {
            loaded = ConfigLoader.Load(configPath);
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
        List<Finding> findings = ContainerVerdict.Of(facts);
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

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));
}
