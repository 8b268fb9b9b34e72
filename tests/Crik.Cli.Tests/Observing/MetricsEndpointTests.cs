using System.Net;
using Crik.Cli.Observing;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Observing;

/// <summary>The endpoint's accept loop against a stop that comes at any point of it.</summary>
[Trait("Category", "Unit")]
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task AStopBetweenTheLoopsLookAndItsAcceptEndsTheLoopQuietly()
    {
        var log = new LogLines();
        var seam = new StopBeforeAccept();
        MetricsEndpoint endpoint = Assert.IsType<MetricsEndpoint>(
            MetricsEndpoint.TryStart(new IPEndPoint(IPAddress.Loopback, FreePort.Get()), new CrikMetrics(), log.Logger, beforeEachAccept: seam));

        await seam.Looked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        endpoint.Dispose(); // the loop has seen it running, and now accepts on a stopped listener
        seam.Stopped.SetResult();
        await endpoint.Accepting.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.DoesNotContain(log.Lines, l => l.StartsWith("Warning:", StringComparison.Ordinal));
        Assert.False(endpoint.Serving);
    }

    private sealed class StopBeforeAccept : IAcceptSeam
    {
        public TaskCompletionSource Looked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Stopped { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task BeforeAcceptAsync()
        {
            Looked.TrySetResult();
            return Stopped.Task;
        }
    }
}
