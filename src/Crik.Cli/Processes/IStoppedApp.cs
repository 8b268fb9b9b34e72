namespace Crik.Cli.Processes;

/// <summary>An app restored stopped (on crik's fill), which runs once it is let go.</summary>
internal interface IStoppedApp
{
    /// <summary>Lets it run; called once (the supervisor calls it through the lease's watchdog).</summary>
    void LetGo();
}
