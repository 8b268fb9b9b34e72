using Crik.Cli.Processes;

namespace Crik.Cli.Restoring;

/// <summary>What looking for and restoring a checkpoint came to: the app runs again, or why it starts fresh.</summary>
internal readonly record struct RestoreOutcome(RunningApp? App, string? WhyFresh)
{
    public static RestoreOutcome Running(RunningApp app) => new(app, null);

    public static RestoreOutcome Fresh(string why) => new(null, why);
}
