namespace Crik.Cli.Decisions;

/// <summary>
/// The verdict on the generation chosen to restore, once crik sees which of the IDs its processes and threads
/// had are held in this container: CRIU gives each its own ID back, so while one is held it cannot be restored
/// here. That says nothing of the checkpoint, which stays for a pod where they are free.
/// </summary>
internal static class PidsInUse
{
    /// <summary>The words that begin <see cref="Why"/>'s answer, by which a restore stopped so is known.</summary>
    public const string Held = "the IDs the app needs are held";

    /// <summary>The words that begin <see cref="AbovePidMax"/>'s answer.</summary>
    public const string AboveLimit = "this node's pid_max";

    /// <summary>Why IDs up to <paramref name="highest"/> cannot be given back where pid_max is <paramref name="pidMax"/> and cannot be raised.</summary>
    /// <param name="notRaised">Why crik could not raise it.</param>
    public static string AbovePidMax(int highest, int pidMax, string notRaised) =>
        $"{AboveLimit} ({pidMax}) is below the IDs the app's processes and threads had (up to {highest}, taken on a node whose pid_max was higher), "
        + $"and neither crik nor CRIU may raise it ({notRaised})";

    /// <summary>Null when every ID the app needs is free; else why it cannot be restored here.</summary>
    /// <param name="byCrik">The app's IDs that crik's own threads hold.</param>
    /// <param name="byOthers">The app's IDs that other processes in this container hold.</param>
    public static string? Why(IReadOnlyCollection<int> byCrik, IReadOnlyCollection<int> byOthers) => (byCrik.Count, byOthers.Count) switch
    {
        (0, 0) => null,
        (0, _) => $"{Held} by other processes in this container (PIDs {string.Join(", ", byOthers)})",
        (_, 0) => $"{Held} by crik's own threads (IDs {string.Join(", ", byCrik)}): the checkpoint was taken after a restore by a crik that "
            + "left the app's new threads and children among its own",
        _ => $"{Held} by crik's own threads (IDs {string.Join(", ", byCrik)}) and by other processes in this container (PIDs {string.Join(", ", byOthers)})",
    };
}
