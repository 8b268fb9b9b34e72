namespace Crik.Cli.Decisions;

/// <summary>When the app's end retires its checkpoints, so that no pod brings it back.</summary>
internal static class Retirement
{
    /// <summary>
    /// Only an app that ended on its own (<see cref="AppEnd"/>) retires its checkpoints, and only when
    /// there are any of its run (it was restored, or checkpointed while it ran). A SIGTERM whose
    /// checkpoint was not taken does not count: the app ended because its node went away, and the
    /// checkpoint before stays the one to resume.
    /// </summary>
    public static bool Retires(AppEnd end, bool restoredOrCheckpointed, bool checkpointFailedAtSigterm) =>
        end.OnItsOwn && restoredOrCheckpointed && !checkpointFailedAtSigterm;
}
