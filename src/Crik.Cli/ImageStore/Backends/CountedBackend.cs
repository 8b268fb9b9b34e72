using Crik.Cli.Observing;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// The counting wrapper: each primitive, each range read, each call of an upload and each call on the store's side on this node is
/// counted once in crik_store_requests_total (and in errors when it throws), however many attempts it took, under
/// <paramref name="backendName"/> (<see cref="Tallies.Volume"/>, <see cref="Tallies.S3"/>). What asks the store nothing
/// (<see cref="StoreOperation.IsRequest"/>: opening a blob) is not counted.
/// </summary>
internal sealed class CountedBackend(IStoreBackend inner, string backendName) : BackendWrapper(inner)
{
    protected override TResult Around<TState, TResult>(StoreOperation operation, TState state, Func<TState, TResult> work)
    {
        if (!operation.IsRequest)
        {
            return work(state);
        }
        try
        {
            TResult result = work(state);
            Tallies.StoreRequest(backendName, operation.Name);
            return result;
        }
        catch
        {
            Tallies.StoreRequest(backendName, operation.Name, failed: true);
            throw;
        }
    }
}
