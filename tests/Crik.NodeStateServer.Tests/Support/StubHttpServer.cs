using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Crik.NodeStateServer.Tests.Support;

/// <summary>A plain-HTTP loopback server whose every answer a test scripts; it counts the requests it got.</summary>
internal sealed class StubHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private StubHttpServer(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Starts a server; <paramref name="answer"/> gets the context and the 1-based request number.</summary>
    public static async Task<StubHttpServer> StartAsync(Func<HttpContext, int, Task> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var stub = new StubHttpServer(builder.Build());
        stub._app.Run(context => answer(context, Interlocked.Increment(ref stub._requests)));
        await stub._app.StartAsync();
        stub.Url = new Uri(stub._app.Urls.First());
        return stub;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
