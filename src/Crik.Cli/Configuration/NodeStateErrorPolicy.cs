namespace Crik.Cli.Configuration;

/// <summary>What to do on SIGTERM when the node-state server cannot say whether the node is going away.</summary>
internal enum NodeStateErrorPolicy
{
    /// <summary>Checkpoint anyway: a needless checkpoint costs less than lost work.</summary>
    Checkpoint,

    /// <summary>Do not checkpoint; forward SIGTERM to the app.</summary>
    Skip,
}
