namespace Crik.Cli.Records;

/// <summary>Why a checkpoint is taken, which decides what happens to the app once it is committed.</summary>
internal enum CheckpointReason
{
    /// <summary>SIGTERM: the pod is going away; after the commit the app is stopped and crik exits 0.</summary>
    Sigterm,

    /// <summary>checkpointInterval: a safety net; the app runs on after the commit.</summary>
    Periodic,

    /// <summary>The node-state server says the node turned at-risk: the app runs on after the commit.</summary>
    AtRisk,

    /// <summary><c>crik checkpoint</c>: the app runs on after the commit.</summary>
    OnDemand,

    /// <summary><c>crik checkpoint --exit</c>: a planned move; after the commit the app is stopped and crik exits 0.</summary>
    OnDemandExit,
}

internal static class CheckpointReasons
{
    /// <summary>The reason as the metrics and Events name it.</summary>
    public static string Label(this CheckpointReason reason) => reason switch
    {
        CheckpointReason.Sigterm => "sigterm",
        CheckpointReason.Periodic => "periodic",
        CheckpointReason.AtRisk => "at_risk",
        CheckpointReason.OnDemand => "on_demand",
        _ => "on_demand_exit",
    };
}
