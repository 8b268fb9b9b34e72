namespace Crik.Cli.Decisions;

/// <summary>
/// The verdict on the generation chosen to restore, once crik sees which of the PIDs its processes had
/// are taken in this container: CRIU restores each process with its own PID, so a generation whose PIDs
/// are taken cannot be restored here, and is set aside (never deleted).
/// </summary>
internal static class PidsInUse
{
    /// <param name="taken">The app's PIDs that other processes in this container hold.</param>
    public static GenerationVerdict Verdict(IReadOnlyCollection<int> taken) => taken.Count == 0 ? new GenerationVerdict.Restore()
        : new GenerationVerdict.SetAside($"PIDs {string.Join(", ", taken)} that the app needs are taken by other processes in this container");
}
