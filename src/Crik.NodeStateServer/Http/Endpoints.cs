using System.Globalization;
using System.Text;
using Crik.NodeStateServer.Observability;
using Crik.NodeStateServer.State;
using Crik.NodeStateServer.Sync;
using Crik.Shared.NodeState;
using Crik.Shared.Prometheus;

namespace Crik.NodeStateServer.Http;

/// <summary>The HTTP surface: node lookups, probes and metrics. Handlers are plain RequestDelegates (no reflection).</summary>
internal static class Endpoints
{
    private const string JsonContentType = "application/json; charset=utf-8";

    private static readonly byte[] InvalidNameAnswer = NodeAnswers.Error(
        $"invalid node name: must be a lowercase RFC 1123 DNS subdomain of at most {NodeName.MaxLength} characters");

    private static readonly byte[] InvalidWaitAnswer = NodeAnswers.Error(
        $"invalid {NodeStateContract.WaitQuery}: must be a whole number of milliseconds from 0 to {NodeStateContract.MaxWaitMs}");

    private static readonly byte[] StoppingAnswer = NodeAnswers.Error(
        "the node-state server is stopping while it held this answer (its own node may be going away, and it may not hear of it now); ask again");

    private static readonly byte[] NotListedAnswer = NodeAnswers.Error(
        "the node-state server has not listed the cluster's nodes yet (it has just started, or cannot reach the Kubernetes API: see its log); ask again");

    /// <summary>A "fine" from a copy the watch no longer keeps current could miss a shutdown the API has.</summary>
    private static byte[] OutOfSyncAnswer(SyncHealth health) => NodeAnswers.Error(
        $"the node-state server cannot say this node is fine: {health.Problem}; ask again (another replica may be in sync)");

    public static void Map(WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<ServerMetrics>();
        var store = app.Services.GetRequiredService<NodeStore>();
        var health = app.Services.GetRequiredService<SyncHealth>();
        var held = app.Services.GetRequiredService<HeldAnswers>();

        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            finally
            {
                metrics.RequestCompleted(context.Response.StatusCode);
            }
        });

        RequestDelegate node = context => NodeAsync(context, store, health, metrics, held);
        app.MapGet(NodeStateContract.Route, node);
        app.MapGet(NodeStateContract.LegacyRoute, node);

        app.MapGet("/healthz", (RequestDelegate)(context => TextAsync(context, StatusCodes.Status200OK, "ok\n")));
        app.MapGet("/readyz", (RequestDelegate)(context => health.IsReady
            ? TextAsync(context, StatusCodes.Status200OK, "ready\n")
            : TextAsync(context, StatusCodes.Status503ServiceUnavailable, $"not ready: {health.Problem}\n")));
        app.MapGet("/metrics", (RequestDelegate)(context =>
        {
            context.Response.ContentType = PrometheusText.ContentType;
            return context.Response.WriteAsync(MetricsText.Render(store.Snapshot, metrics, health, (held.Count, held.Refused)));
        }));
    }

    private static async Task NodeAsync(HttpContext context, NodeStore store, SyncHealth health, ServerMetrics metrics, HeldAnswers held)
    {
        var name = context.Request.RouteValues[NodeStateContract.NameRouteValue] as string ?? "";
        if (!NodeName.IsValid(name))
        {
            await JsonAsync(context, StatusCodes.Status400BadRequest, InvalidNameAnswer).ConfigureAwait(false);
            return;
        }
        if (WaitOf(context.Request) is not { } hold)
        {
            await JsonAsync(context, StatusCodes.Status400BadRequest, InvalidWaitAnswer).ConfigureAwait(false);
            return;
        }
        // Before its first list every node would be unknown, which crik takes as "not going away": a 503 is retried, and
        // then onNodeStateError decides.
        if (!health.HasListed)
        {
            await ElsewhereAsync(context, NotListedAnswer).ConfigureAwait(false);
            return;
        }
        NodeEntry? entry = store.Find(name);
        if (!AnsweredHere(health, entry))
        {
            await ElsewhereAsync(context, OutOfSyncAnswer(health)).ConfigureAwait(false);
            return;
        }
        if (hold > TimeSpan.Zero && held.TryBegin())
        {
            try
            {
                entry = await GoingAwayWait.FindAsync(store, name, hold, held.Released, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                context.Response.StatusCode = StatusCodes.Status499ClientClosedRequest;
                return;
            }
            finally
            {
                held.End();
            }
            // A stopping server stops its web server before its watch: a "fine" now could miss its own node's shutdown, so
            // the asker is sent to another replica (crik retries a 503 on a new connection).
            if (held.Released.IsCancellationRequested && !GoingAwayWait.IsGoingAway(entry))
            {
                await ElsewhereAsync(context, StoppingAnswer).ConfigureAwait(false);
                return;
            }
            if (!AnsweredHere(health, entry))
            {
                await ElsewhereAsync(context, OutOfSyncAnswer(health)).ConfigureAwait(false);
                return;
            }
        }
        metrics.Answered(entry is null ? NodeStateContract.Unknown : NodeAnswers.StateWord(entry.Evaluation.State));
        await JsonAsync(context, StatusCodes.Status200OK, NodeAnswers.For(name, entry)).ConfigureAwait(false);
    }

    /// <summary>
    /// In sync, every answer is; out of sync, only a node the server has as going away, which is acted on however the sync
    /// fares (for <see cref="SyncHealth.KeepsGoingAway"/>): a "fine" could miss a shutdown the API has.
    /// </summary>
    private static bool AnsweredHere(SyncHealth health, NodeEntry? entry) =>
        health.IsReady || (GoingAwayWait.IsGoingAway(entry) && health.KeepsGoingAway);

    /// <summary>How long the question asks the answer to be held (none without <c>waitMs</c>); null where the value is not one.</summary>
    private static TimeSpan? WaitOf(HttpRequest request)
    {
        var values = request.Query[NodeStateContract.WaitQuery];
        if (values.Count == 0)
            return TimeSpan.Zero;
        return values.Count == 1 && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= NodeStateContract.MaxWaitMs
            ? TimeSpan.FromMilliseconds(ms)
            : null;
    }

    /// <summary>
    /// A 503 that asks the asker to try another replica: its connection is closed after it, since the asker's next attempt
    /// on the same connection would reach this replica again (a Service balances connections, not requests).
    /// </summary>
    private static Task ElsewhereAsync(HttpContext context, byte[] body)
    {
        context.Response.Headers.Connection = "close";
        return JsonAsync(context, StatusCodes.Status503ServiceUnavailable, body);
    }

    private static Task JsonAsync(HttpContext context, int status, byte[] body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = JsonContentType;
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, 0, body.Length, context.RequestAborted);
    }

    private static Task TextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text, Encoding.UTF8);
    }
}
