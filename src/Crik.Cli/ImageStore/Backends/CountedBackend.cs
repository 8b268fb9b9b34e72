using Crik.Cli.Interop;
using Crik.Cli.Observing;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// The counting wrapper: each primitive, each range read and each call on the store's side on this node is counted once in
/// crik_store_requests_total (and in errors when it throws), however many attempts it took, under <paramref name="backendName"/>
/// (<see cref="Tallies.Volume"/>, <see cref="Tallies.S3"/>). Opening a blob is not counted: in object storage it asks nothing.
/// </summary>
internal sealed class CountedBackend(IStoreBackend inner, string backendName) : BackendWrapper(inner), INodeDirectories
{
    /// <summary>The inner backend's, with its side on this node counted too.</summary>
    public override StoreDescription Description => Inner.Description with { Node = this };

    public void MakePrivate(string location) => Inner.Description.Node.MakePrivate(location);

    public DirectoryHandle? CreateLocalDirectory(string key) =>
        Around(StoreOperation.Open, key, Inner.Description.Node.CreateLocalDirectory);

    public DirectoryHandle? OpenLocalDirectory(string key) => Around(StoreOperation.Open, key, Inner.Description.Node.OpenLocalDirectory);

    public bool PutLocalFile(DirectoryHandle directory, string name, SafeFileHandle file, string key) =>
        Around(StoreOperation.Write, 0, _ => Inner.Description.Node.PutLocalFile(directory, name, file, key));

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
