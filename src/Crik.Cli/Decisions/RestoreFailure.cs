using Crik.Cli.Configuration;

namespace Crik.Cli.Decisions;

/// <summary>What becomes of the app when its checkpoint could not be restored (<see cref="RestoreFailure"/>).</summary>
internal enum AfterRestoreFailure
{
    /// <summary>The app starts fresh (onRestoreFailure: fresh).</summary>
    StartFresh,

    /// <summary>Nothing starts: crik exits with its failure code (onRestoreFailure: fail).</summary>
    StartNothing,
}

/// <summary>
/// onRestoreFailure: a checkpoint that cannot be restored (set aside, or kept for a node that can run
/// it) never stops the app from starting fresh, unless the user asked crik to fail instead.
/// </summary>
internal static class RestoreFailure
{
    public static AfterRestoreFailure Decide(RestoreFailurePolicy policy) =>
        policy == RestoreFailurePolicy.Fail ? AfterRestoreFailure.StartNothing : AfterRestoreFailure.StartFresh;
}
