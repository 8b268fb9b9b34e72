namespace Crik.Cli.Configuration;

/// <summary>What to do when a checkpoint cannot be restored.</summary>
internal enum RestoreFailurePolicy
{
    /// <summary>Set the checkpoint aside and start the command fresh.</summary>
    Fresh,

    /// <summary>Set the checkpoint aside and exit with crik's failure code.</summary>
    Fail,
}
