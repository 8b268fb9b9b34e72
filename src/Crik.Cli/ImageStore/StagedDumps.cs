namespace Crik.Cli.ImageStore;

/// <summary>The dumps a store has begun and not yet ended (<see cref="StagingCheckpoint"/>), so that a store that goes mid-dump leaves no scratch directory behind.</summary>
internal sealed class StagedDumps
{
    private readonly HashSet<StagingCheckpoint> _staged = [];

    public void Add(StagingCheckpoint staging)
    {
        lock (_staged)
        {
            _staged.Add(staging);
        }
    }

    /// <summary>The dump ended (it is disposed).</summary>
    public void Ended(StagingCheckpoint staging)
    {
        lock (_staged)
        {
            _staged.Remove(staging);
        }
    }

    /// <summary>Each dump still staged leaves its scratch directory (<see cref="StagingCheckpoint.LeaveBehind"/>).</summary>
    public void LeaveAllBehind()
    {
        lock (_staged)
        {
            foreach (StagingCheckpoint staging in _staged)
            {
                staging.LeaveBehind();
            }
        }
    }
}
