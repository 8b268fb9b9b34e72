using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Crik.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Crik.NodeStateServer.Tests.FakeApi;

/// <summary>
/// A Kubernetes API server that knows only <c>/api/v1/nodes</c>: HTTPS with a self-signed CA, bearer-token auth,
/// paginated lists and chunked watch streams with a bookmark every <see cref="BookmarkInterval"/>. Tests steer it:
/// block lists, refuse, drop or silence watches, expire versions, answer 401, or send malformed data.
/// </summary>
internal sealed class FakeKubeApi : IAsyncDisposable
{
    public const string Token = "fake-token-for-node-state-server";

    public static readonly TimeSpan BookmarkInterval = TimeSpan.FromMilliseconds(250);

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private long _endlessBytesSent;
    private int _endlessWatches;
    private volatile TaskCompletionSource _listGate = Completed();
    private int _listRequests;
    private int _unauthorizedAnswers;

    private FakeKubeApi(WebApplication app, X509Certificate2 certificate)
    {
        _app = app;
        Certificate = certificate;
    }

    public FakeCluster Cluster { get; } = new();
    public X509Certificate2 Certificate { get; }
    public Uri Url { get; private set; } = null!;

    /// <summary>Answer every request with 401, as after a revoked or expired token.</summary>
    public bool Unauthorized { get; set; }

    /// <summary>Answer new watch requests with 503, keeping the server disconnected.</summary>
    public bool RefuseWatches { get; set; }

    /// <summary>Answer a watch from a compacted version with HTTP 410 instead of a 200 carrying an ERROR event.</summary>
    public bool GoneAsHttpStatus { get; set; }

    /// <summary>Watches send nothing at all, neither events nor bookmarks, as behind a hung proxy.</summary>
    public bool SilentWatches { get; set; }

    /// <summary>Take watch requests and never answer them, not even with headers, as a proxy that hung does; until the request is given up.</summary>
    public bool HoldWatchHeaders { get; set; }

    /// <summary>Answer every watch at once with "410 Expired" (an ERROR event), whatever version it asks for.</summary>
    public bool ExpireEveryWatch { get; set; }

    /// <summary>Answer watches with headers and an immediately ended, empty stream.</summary>
    public bool CloseWatchesAtOnce { get; set; }

    /// <summary>Lists carry a JSON null and a number among their items.</summary>
    public bool NullListItems { get; set; }

    /// <summary>Lists carry the node of this name with a spec that is a number: an item with a name that is not a readable node.</summary>
    public string? UnreadableInLists { get; set; }

    /// <summary>Lists answer with a body that says it is gzip and is not, as behind a proxy that mangles it.</summary>
    public bool CorruptGzipLists { get; set; }

    /// <summary>The next watch sends one line that never ends, until the client hangs up.</summary>
    public void SendEndlessLineOnNextWatch() => Interlocked.Increment(ref _endlessWatches);

    public long EndlessBytesSent => Interlocked.Read(ref _endlessBytesSent);

    /// <summary>When each watch request arrived, measured from the fake's start.</summary>
    public ConcurrentQueue<TimeSpan> WatchArrivals { get; } = new();

    /// <summary>When each list request was answered, measured from the fake's start.</summary>
    public ConcurrentQueue<TimeSpan> ListArrivals { get; } = new();

    public int ListRequests => Volatile.Read(ref _listRequests);
    public int UnauthorizedAnswers => Volatile.Read(ref _unauthorizedAnswers);

    /// <summary>The resourceVersion of every watch request, in arrival order.</summary>
    public ConcurrentQueue<long> WatchVersions { get; } = new();

    public ConcurrentQueue<string> Trace { get; } = new();

    public static async Task<FakeKubeApi> StartAsync()
    {
        var certificate = SelfSignedCertificate.Create();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        var api = new FakeKubeApi(builder.Build(), certificate);
        api._app.MapGet("/api/v1/nodes", (RequestDelegate)api.HandleAsync);
        await api._app.StartAsync();
        api.Url = new Uri(api._app.Urls.First());
        _ = api.SendBookmarksAsync();
        return api;
    }

    /// <summary>Hold list requests until <see cref="ReleaseLists"/>.</summary>
    public void BlockLists() => _listGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ReleaseLists() => _listGate.TrySetResult();

    /// <summary>Like the API server's watch cache, which sends each bookmark-enabled watch a bookmark about once a minute.</summary>
    private async Task SendBookmarksAsync()
    {
        using var timer = new PeriodicTimer(BookmarkInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                if (!SilentWatches)
                    Cluster.SendProgressBookmark();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (Unauthorized || authorization != "Bearer " + Token)
        {
            Interlocked.Increment(ref _unauthorizedAnswers);
            await StatusAsync(context, 401, "Unauthorized", "Unauthorized");
            return;
        }
        if (context.Request.Query["watch"] is ["1" or "true"])
            await WatchAsync(context);
        else
            await ListAsync(context);
    }

    private async Task ListAsync(HttpContext context)
    {
        await _listGate.Task.WaitAsync(context.RequestAborted);
        Interlocked.Increment(ref _listRequests);
        ListArrivals.Enqueue(_clock.Elapsed);
        var limit = int.TryParse(context.Request.Query["limit"], CultureInfo.InvariantCulture, out var l) && l > 0 ? l : int.MaxValue;
        var (offset, listVersion) = ParseContinue(context.Request.Query["continue"].ToString());
        var (items, version, more) = Cluster.Page(offset, limit);
        var metadata = new JsonObject { ["resourceVersion"] = (listVersion ?? version).ToString(CultureInfo.InvariantCulture) };
        if (more)
            metadata["continue"] = $"{offset + items.Count}:{listVersion ?? version}";
        var list = new JsonObject
        {
            ["kind"] = "NodeList",
            ["apiVersion"] = "v1",
            ["metadata"] = metadata,
            ["items"] = new JsonArray([.. items]),
        };
        if (NullListItems && offset == 0)
        {
            list["items"]!.AsArray().Insert(0, null);
            list["items"]!.AsArray().Add((JsonNode)JsonValue.Create(42));
        }
        foreach (var item in list["items"]!.AsArray())
        {
            if (item is JsonObject node && node["metadata"]?["name"]?.GetValue<string>() is { } name && name == UnreadableInLists)
                node["spec"] = 7;
        }
        context.Response.ContentType = "application/json";
        if (CorruptGzipLists)
        {
            context.Response.Headers.ContentEncoding = "gzip";
            await context.Response.Body.WriteAsync("this is not gzip at all, though it says so"u8.ToArray());
            return;
        }
        await context.Response.WriteAsync(list.ToJsonString());
    }

    private async Task WatchAsync(HttpContext context)
    {
        var from = long.Parse(context.Request.Query["resourceVersion"].ToString(), CultureInfo.InvariantCulture);
        WatchVersions.Enqueue(from);
        WatchArrivals.Enqueue(_clock.Elapsed);
        Trace.Enqueue($"watch {from} refuse={RefuseWatches}");
        if (RefuseWatches)
        {
            await StatusAsync(context, 503, "ServiceUnavailable", "the fake API refuses watches right now");
            return;
        }
        if (HoldWatchHeaders)
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return;
        }
        context.Response.ContentType = "application/json";
        if (ExpireEveryWatch)
        {
            await context.Response.WriteAsync(FakeCluster.GoneLine(Cluster.ResourceVersion) + "\n");
            return;
        }
        if (CloseWatchesAtOnce)
        {
            await context.Response.StartAsync();
            return;
        }
        if (Interlocked.Decrement(ref _endlessWatches) >= 0)
        {
            await SendEndlessLineAsync(context);
            return;
        }
        Interlocked.Exchange(ref _endlessWatches, 0);
        var watch = Cluster.OpenWatch(from, context.RequestAborted);
        if (watch is null && GoneAsHttpStatus)
        {
            await StatusAsync(context, 410, "Expired", "too old resource version");
            return;
        }
        if (watch is null)
        {
            // Like the real API server: a watch from a compacted version answers 200 with one ERROR event.
            await context.Response.WriteAsync(FakeCluster.GoneLine(Cluster.ResourceVersion) + "\n");
            return;
        }
        try
        {
            // Like the real API server, send the headers at once, before any event exists.
            await context.Response.StartAsync();
            await context.Response.Body.FlushAsync();
            Trace.Enqueue("started");
            await foreach (var line in watch.Events.Reader.ReadAllAsync(watch.Dropped))
            {
                if (SilentWatches)
                    continue;
                await context.Response.WriteAsync(line + "\n");
                await context.Response.Body.FlushAsync();
            }
        }
        catch (OperationCanceledException)
        {
            Trace.Enqueue("dropped");
            context.Abort();
        }
        finally
        {
            Cluster.CloseWatch(watch);
        }
    }

    /// <summary>The start of an event whose line never ends: 64 KiB of filler at a time until the client hangs up.</summary>
    private async Task SendEndlessLineAsync(HttpContext context)
    {
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'x');
        try
        {
            await context.Response.WriteAsync("{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Node\",\"metadata\":{\"name\":\"");
            while (!context.RequestAborted.IsCancellationRequested && !_stopping.IsCancellationRequested)
            {
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                Interlocked.Add(ref _endlessBytesSent, chunk.Length);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client hung up: what this stream is for.
        }
    }

    private static (int Offset, long? Version) ParseContinue(string token)
    {
        if (string.IsNullOrEmpty(token))
            return (0, null);
        var parts = token.Split(':');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    private static Task StatusAsync(HttpContext context, int code, string reason, string message)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
            ["code"] = code,
        }.ToJsonString());
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        ReleaseLists();
        Cluster.DropWatches();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Certificate.Dispose();
        _stopping.Dispose();
    }
}
