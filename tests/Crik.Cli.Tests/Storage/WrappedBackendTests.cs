using Crik.Cli.ImageStore.Backends;
using Crik.Cli.ObjectStorage;
using Crik.Cli.Tests.Support;
using Xunit;

namespace Crik.Cli.Tests.Storage;

/// <summary>
/// The storage contract on a volume with all four wrappers stacked over it (<see cref="StoreStack"/>): counted, retried, fenced
/// by a lock that is held, and bounded by a step's deadline that is running, as a store is made. Every case of the volume's
/// suite runs again through them.
/// </summary>
[Trait("Category", "Unit")]
public sealed class WrappedVolumeBackendTests : VolumeBackendTests
{
    internal override IStoreBackend NewBackend() => WrappedStacks.Over(base.NewBackend());
}

/// <summary>The storage contract in object storage with all four wrappers stacked over it; every case of its suite runs again through them.</summary>
public sealed class WrappedObjectBackendTests : ObjectBackendTests
{
    internal override IStoreBackend NewBackend() => WrappedStacks.Over(base.NewBackend());
}

/// <summary>The stack a store makes, with settings that make each wrapper do its work in every call of the contract.</summary>
internal static class WrappedStacks
{
    public static IStoreBackend Over(IStoreBackend backend)
    {
        StoreStack stack = StoreStack.Over(backend, new BackendRetry(3, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(100),
            e => e is S3Exception { Status: 0 or >= 500 }, $"contract-{Guid.NewGuid():N}"), TimeSpan.FromSeconds(30));
        stack.Fence.Hold(new SettableLock()); // held for the whole test: the fence lets every write through
        stack.Deadline.Within(TimeSpan.FromMinutes(10)); // the scope stays open for the test's life
        return stack.Top;
    }
}
