using Crik.Cli.Records;

namespace Crik.Cli.Decisions;

/// <summary>When crik asks the node-state server about the node its pod runs on.</summary>
internal static class NodeStateQuestions
{
    /// <summary>
    /// Only a SIGTERM's checkpoint first asks whether the node is going away (the SIGTERM may be the app's own
    /// end, a rollout's); the other reasons ask for a checkpoint themselves.
    /// </summary>
    public static bool AskedBeforeCheckpoint(CheckpointReason reason, bool serverConfigured) =>
        serverConfigured && reason == CheckpointReason.Sigterm;

    /// <summary>
    /// Whether crik polls for early warnings (the node turned at-risk, so it checkpoints at once): only with
    /// periodic checkpoints on (checkpointInterval) as well as a server.
    /// </summary>
    public static bool PolledForEarlyWarnings(bool serverConfigured, TimeSpan? checkpointInterval) =>
        serverConfigured && checkpointInterval is not null;
}
