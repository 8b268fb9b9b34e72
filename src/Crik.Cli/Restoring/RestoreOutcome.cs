using Crik.Cli.Processes;

namespace Crik.Cli.Restoring;

/// <summary>
/// What looking for and restoring a checkpoint came to: the app runs again, or why it starts fresh, or the checkpoint failed
/// and is set aside (<see cref="SetAside"/>), so that an older one may be restored before onRestoreFailure applies.
/// </summary>
internal readonly record struct RestoreOutcome(RunningApp? App, string? WhyFresh, SetAsideRestore? SetAside = null)
{
    public static RestoreOutcome Running(RunningApp app) => new(app, null);

    public static RestoreOutcome Fresh(string why) => new(null, why);

    public static RestoreOutcome Failed(SetAsideRestore setAside) => new(null, null, setAside);
}
