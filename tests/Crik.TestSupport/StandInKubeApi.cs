using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Crik.TestSupport;

/// <summary>
/// A Kubernetes API server that knows one Pod and its Events: HTTPS with a self-signed CA, bearer-token auth,
/// and a record of every request crik makes. Tests make it refuse (403) or hang.
/// </summary>
public sealed class StandInKubeApi : IAsyncDisposable
{
    public const string Token = "stand-in-token-for-crik";
    public const string PodUid = "6f1c2d9e-0000-4c1e-9a51-crik00000001";

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();

    private StandInKubeApi(WebApplication app, X509Certificate2 certificate)
    {
        _app = app;
        Certificate = certificate;
    }

    public X509Certificate2 Certificate { get; }

    public Uri Url { get; private set; } = null!;

    /// <summary>Answer every request with 403 Forbidden, as without RBAC.</summary>
    public bool Forbidden { get; set; }

    /// <summary>Answer PATCHes of the Pod with 403, as for a Role that grants Events only.</summary>
    public bool RefusePodPatches { get; set; }

    /// <summary>Answer the Pod's GET with 404, as when crik guessed its name wrong.</summary>
    public bool PodMissing { get; set; }

    /// <summary>Answer the Pod's GET with 200 and a body that is not a Pod, as a proxy in the way might.</summary>
    public bool PodIsNotAPod { get; set; }

    /// <summary>Never answer: requests wait until the client gives up.</summary>
    public bool Hang { get; set; }

    /// <summary>Every request as "METHOD path", in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>The Events as the API holds them, by name, with the PATCHes applied.</summary>
    public ConcurrentDictionary<string, JsonObject> Events { get; } = new();

    /// <summary>The Pod's annotations as patched.</summary>
    public ConcurrentDictionary<string, string> Annotations { get; } = new();

    public static async Task<StandInKubeApi> StartAsync()
    {
        var certificate = SelfSignedCertificate.Create();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        var api = new StandInKubeApi(builder.Build(), certificate);
        api._app.Run(api.HandleAsync);
        await api._app.StartAsync();
        api.Url = new Uri(api._app.Urls.First());
        return api;
    }

    /// <summary>Writes a kubeconfig that trusts this server and sends <paramref name="token"/>; returns its path.</summary>
    public string WriteKubeconfig(string directory, string token = Token)
    {
        string path = Path.Combine(directory, "kubeconfig");
        File.WriteAllText(path, Kubeconfig.For(Url, Certificate, token));
        return path;
    }

    /// <summary>The Events with this reason, oldest first.</summary>
    public List<JsonObject> EventsWith(string reason) =>
        Events.Values.Where(e => (string?)e["reason"] == reason).OrderBy(e => (string?)e["firstTimestamp"]).ThenBy(e => (string?)e["metadata"]!["name"]).ToList();

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "";
        Requests.Enqueue($"{context.Request.Method} {path}");
        if (Hang)
        {
            await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token).Token)
                .ContinueWith(_ => { }, TaskScheduler.Default);
            return;
        }
        if (context.Request.Headers.Authorization.ToString() != "Bearer " + Token)
        {
            await StatusAsync(context, 401, "Unauthorized");
            return;
        }
        if (Forbidden)
        {
            await StatusAsync(context, 403, $"pods \"x\" is forbidden: User \"system:serviceaccount:shop:default\" cannot {context.Request.Method.ToLowerInvariant()} resource");
            return;
        }
        string[] parts = path.Trim('/').Split('/');
        // api/v1/namespaces/{ns}/{pods|events}[/{name}]
        if (parts.Length < 5 || parts[0] != "api" || parts[1] != "v1" || parts[2] != "namespaces")
        {
            await StatusAsync(context, 404, "not found");
            return;
        }
        string ns = parts[3];
        string resource = parts[4];
        string? name = parts.Length > 5 ? parts[5] : null;
        JsonObject? body = null;
        if (context.Request.ContentLength is > 0 || context.Request.Method is "POST" or "PATCH")
        {
            using var reader = new StreamReader(context.Request.Body);
            body = JsonNode.Parse(await reader.ReadToEndAsync()) as JsonObject;
        }
        switch (context.Request.Method, resource, name)
        {
            case ("GET", "pods", { } missing) when PodMissing:
                await StatusAsync(context, 404, $"pods \"{missing}\" not found");
                return;
            case ("GET", "pods", _) when PodIsNotAPod:
                await JsonAsync(context, 200, new JsonObject { ["kind"] = "Status", ["items"] = new JsonArray() });
                return;
            case ("GET", "pods", { } pod):
                await JsonAsync(context, 200, new JsonObject
                {
                    ["kind"] = "Pod",
                    ["metadata"] = new JsonObject { ["name"] = pod, ["namespace"] = ns, ["uid"] = PodUid },
                });
                return;
            case ("PATCH", "pods", _) when RefusePodPatches:
                await StatusAsync(context, 403, "pods is forbidden: cannot patch resource \"pods\"");
                return;
            case ("PATCH", "pods", _):
                foreach (var (key, value) in body?["metadata"]?["annotations"]?.AsObject() ?? [])
                {
                    Annotations[key] = (string?)value ?? "";
                }
                await JsonAsync(context, 200, new JsonObject { ["kind"] = "Pod" });
                return;
            case ("POST", "events", null) when body is not null:
                string eventName = (string?)body["metadata"]?["name"] ?? Guid.NewGuid().ToString();
                if (!Events.TryAdd(eventName, body))
                {
                    await StatusAsync(context, 409, $"events \"{eventName}\" already exists");
                    return;
                }
                await JsonAsync(context, 201, body);
                return;
            case ("PATCH", "events", { } patched) when body is not null:
                if (!Events.TryGetValue(patched, out JsonObject? existing))
                {
                    await StatusAsync(context, 404, $"events \"{patched}\" not found");
                    return;
                }
                foreach (var (key, value) in body.ToList())
                {
                    existing[key] = value?.DeepClone();
                }
                await JsonAsync(context, 200, existing);
                return;
            default:
                await StatusAsync(context, 405, "not supported by the stand-in");
                return;
        }
    }

    private static Task JsonAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        lock (body)
        {
            return context.Response.WriteAsync(body.ToJsonString());
        }
    }

    private static Task StatusAsync(HttpContext context, int code, string message) =>
        JsonAsync(context, code, new JsonObject { ["kind"] = "Status", ["status"] = "Failure", ["code"] = code, ["message"] = message });
}
