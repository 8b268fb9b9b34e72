using Crik.Cli.Observing;

namespace Crik.Cli.Checkpointing;

// What the checkpointer does for an app that runs on: hearing early warnings, and retiring the
// checkpoints of an app that ended on its own.
internal sealed partial class Checkpointer
{
    public bool HearsEarlyWarnings => nodeState is not null;

    public async Task<bool> NodeTurnedAtRiskAsync()
    {
        bool atRisk = nodeState is not null && await nodeState.IsAtRiskAsync(config.NodeStateTimeout).ConfigureAwait(false);
        bool turned = atRisk && !_nodeAtRisk;
        _nodeAtRisk = atRisk;
        return turned;
    }

    public void RetireAfterOwnExit(string howItEnded)
    {
        try
        {
            using IDisposable? directoryLock = store.TryLock(LockWait);
            int retired = directoryLock is null ? -1 : store.RetireCommitted();
            if (retired < 0)
            {
                log.Error("The app ended on its own, but {Dir} is locked by another crik: its checkpoints were not retired and may be restored",
                    store.ImageDir);
            }
            else
            {
                log.Information(new Happening.CheckpointsRetired(howItEnded, retired),
                    "The app ended on its own: retired its {Count} committed checkpoints, so it is not brought back", retired);
            }
        }
        catch (IOException e)
        {
            log.Error("The app ended on its own, but its checkpoints could not be retired: {Error}; they may be restored", e.Message);
        }
    }
}
