using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Crik.TestSupport;

namespace Crik.Cli.Tests.Support;

/// <summary>A node-state server stand-in on loopback that answers one state for every node and records the paths asked.</summary>
internal sealed class FakeNodeStateServer : IDisposable
{
    private readonly HttpListener _listener;

    public FakeNodeStateServer(string state)
    {
        State = state;
        (_listener, Port) = FreePort.StartHttpListener();
        _ = Task.Run(ServeAsync);
    }

    /// <summary>What it answers for every node; a test may change it while crik runs. <see cref="Failing"/> answers 503.</summary>
    public string State { get; set; }

    /// <summary>A <see cref="State"/> that has it answer every question 503, as a server that lost the API does.</summary>
    public const string Failing = "(failing)";

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}");

    public ConcurrentQueue<string> Paths { get; } = new();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private volatile bool _holding;

    /// <summary>While true, every question waits for its answer (as a server whose API is slow makes it): crik's attempts end unanswered.</summary>
    public bool Holding { get => _holding; set => _holding = value; }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        while (Holding)
        {
            await Task.Delay(10);
        }
        string path = context.Request.Url!.AbsolutePath;
        Paths.Enqueue(path);
        try
        {
            if (State == Failing)
            {
                context.Response.StatusCode = 503;
                context.Response.Close();
                return;
            }
            string name = path.Split('/').Last();
            byte[] body = Encoding.UTF8.GetBytes($"{{\"name\":\"{name}\",\"state\":\"{State}\",\"reasons\":[\"taint:karpenter.sh/disrupted\"]}}");
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
        catch (HttpListenerException)
        {
            // crik gave up on this attempt and closed its connection.
        }
    }

    public void Dispose() => _listener.Close();
}
