using System.Diagnostics;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Locking;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Storage;

// TryLock: one holder at a time, and what a lock left by a holder that died does.
public abstract partial class StorageContract
{
    /// <summary>How long a lock whose holder died keeps the next one out: nothing on a volume (flock ends with its process), a lease's lifetime in object storage.</summary>
    internal abstract TimeSpan DeadHolderKeepsOthersOut { get; }

    /// <summary>Leaves <c>.lock</c> as a holder that died without releasing it would.</summary>
    internal abstract void LeaveLockOfDeadHolder();

    [SkippableStorageFact]
    public void TwoHoldersExcludeEachOtherAndAReleaseLetsTheNextIn()
    {
        using IStoreBackend second = NewBackend();
        IStoreLock first = Backend.TryLock(TimeSpan.FromSeconds(5))!;
        Assert.NotNull(first);
        Assert.Equal(HoldState.Held, first.State);
        Assert.Null(second.TryLock(TimeSpan.FromMilliseconds(600)));
        first.Dispose();
        using IStoreLock? next = second.TryLock(TimeSpan.FromSeconds(5));
        Assert.NotNull(next);
        Assert.Null(Backend.TryLock(TimeSpan.FromMilliseconds(600)));
    }

    [SkippableStorageFact]
    public void ALockWhoseHolderDiedIsTakenOnceItNoLongerKeepsOthersOut()
    {
        LeaveLockOfDeadHolder();
        long started = Stopwatch.GetTimestamp();
        using IStoreLock? taken = Backend.TryLock(DeadHolderKeepsOthersOut + TimeSpan.FromSeconds(10));
        TimeSpan waited = Stopwatch.GetElapsedTime(started);
        Assert.NotNull(taken);
        Assert.InRange(waited, DeadHolderKeepsOthersOut, DeadHolderKeepsOthersOut + TimeSpan.FromSeconds(5));
    }
}
