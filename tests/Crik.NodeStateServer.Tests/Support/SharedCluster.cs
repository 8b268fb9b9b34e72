using Xunit;

namespace Crik.NodeStateServer.Tests.Support;

/// <summary>
/// One fake API and server shared by tests that never disturb the connection; each test uses its own node names.
/// </summary>
public sealed class SharedCluster : IAsyncLifetime
{
    private TestCluster? _cluster;

    internal TestCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _cluster = await TestCluster.StartReadyAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
            await _cluster.DisposeAsync();
    }
}
