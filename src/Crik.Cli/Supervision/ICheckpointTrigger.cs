namespace Crik.Cli.Supervision;

/// <summary>Decides what a SIGTERM means and, when it means "checkpoint", takes one.</summary>
internal interface ICheckpointTrigger
{
    /// <summary>
    /// Called for the first SIGTERM. True when a checkpoint was committed and CRIU stopped the app;
    /// false when none was taken and the app must get the SIGTERM (it is then running, never frozen).
    /// </summary>
    Task<bool> TryCheckpointAsync(RunningApp app);
}
