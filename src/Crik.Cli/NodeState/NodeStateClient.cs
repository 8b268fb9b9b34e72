// NodeState/ owns asking the node-state server whether this node is shutting down.
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Crik.Cli.Observing;
using Crik.Shared.NodeState;

namespace Crik.Cli.NodeState;

/// <summary>
/// Asks the node-state server whether a node is shutting down. Connection failures and 5xx answers are
/// retried with a short backoff until the timeout is spent; every failure ends as an <see cref="NodeVerdict.Error"/>
/// answer rather than an exception, so the caller only has to decide what an unclear answer means.
/// Credentials in the server URL are sent as HTTP Basic authentication and never appear in a message.
/// </summary>
internal sealed class NodeStateClient(HttpClient http)
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the first attempt may take beyond the hold it asks for, its connection included; each attempt after it may take
    /// twice as long as the one before (a slow DNS or a proxy's TLS still gets its answer). A server's replica on a node that
    /// vanished keeps its Service endpoint for tens of seconds, and a connection to it is never refused, only never answered:
    /// past this, the attempt is given up and the next one opens a new connection, which may reach the other replica.
    /// </summary>
    private static readonly TimeSpan FirstAttemptMargin = TimeSpan.FromMilliseconds(500);

    /// <summary>An HTTP client for the server: a connection idle for a few seconds is not reused.</summary>
    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>
    /// The server's answer, counted in crik_node_state_queries_total by its verdict (or error). With a <paramref name="wait"/>,
    /// the server holds an answer that the node is fine for up to that long, at most half of what is left of the timeout.
    /// </summary>
    public async Task<NodeStateAnswer> AskAsync(Uri server, string? nodeName, TimeSpan timeout, TimeSpan wait = default, CancellationToken cancellationToken = default)
    {
        NodeStateAnswer answer = await AskUncountedAsync(server, nodeName, timeout, wait, cancellationToken).ConfigureAwait(false);
        Tallies.NodeStateAnswer(answer.Verdict switch
        {
            NodeVerdict.Ready => "ready",
            NodeVerdict.AtRisk => "at_risk",
            NodeVerdict.ShuttingDown => "shutting_down",
            NodeVerdict.Unknown => "unknown",
            _ => "error",
        });
        return answer;
    }

    private async Task<NodeStateAnswer> AskUncountedAsync(Uri server, string? nodeName, TimeSpan timeout, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(nodeName))
            return new(NodeVerdict.Error, "KUBERNETES_NODE_NAME is not set; pass the node name to the pod with the downward API (fieldRef spec.nodeName)");

        var serverUrl = new NodeStateUrl(server);
        var clock = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var delay = FirstRetryDelay;
        var margin = FirstAttemptMargin;
        var attempts = 0;
        string lastProblem = "no attempt finished";
        while (true)
        {
            attempts++;
            int holdMs = HoldMs(wait, timeout - clock.Elapsed);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            attempt.CancelAfter(TimeSpan.FromMilliseconds(holdMs) + margin);
            var (answer, problem) = await TryOnceAsync(serverUrl.For(nodeName, holdMs), serverUrl, nodeName, margin, attempt.Token, deadline.Token).ConfigureAwait(false);
            margin *= 2;
            if (answer is not null)
                return answer with { HoldAskedMs = holdMs };
            lastProblem = problem ?? lastProblem;

            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (deadline.IsCancellationRequested)
                    break;
                await Task.Delay(delay, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                cancellationToken.ThrowIfCancellationRequested();
                break;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
        return new(NodeVerdict.Error, $"node-state server {serverUrl.Display} gave no answer within {timeout.TotalSeconds:0.#}s ({attempts} attempts): {lastProblem}");
    }

    /// <summary>The hold to ask for: <paramref name="wait"/>, cut to half of what is <paramref name="left"/>.</summary>
    private static int HoldMs(TimeSpan wait, TimeSpan left)
    {
        var hold = wait < left / 2 ? wait : left / 2;
        return hold > TimeSpan.Zero ? (int)Math.Min(hold.TotalMilliseconds, NodeStateContract.MaxWaitMs) : 0;
    }

    /// <summary>A final answer, or null and the reason this attempt is worth retrying.</summary>
    /// <param name="margin">How long past the hold this attempt waits, for the message when it gives up.</param>
    /// <param name="attempt">Ends this attempt at <paramref name="margin"/> beyond the hold (or at <paramref name="deadline"/>).</param>
    private async Task<(NodeStateAnswer? Answer, string? Problem)> TryOnceAsync(Uri url, NodeStateUrl server, string nodeName,
        TimeSpan margin, CancellationToken attempt, CancellationToken deadline)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Authorization = server.BasicAuthorization;
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, attempt).ConfigureAwait(false);
            // As UTF-8 whatever the charset it names: a proxy's error page in one .NET cannot decode must not end the question.
            var text = Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync(attempt).ConfigureAwait(false));
            if ((int)response.StatusCode >= 500)
                return (null, $"GET {url} answered {(int)response.StatusCode} {response.StatusCode}{(ErrorText(text) is { Length: > 0 } error ? $": {error}" : "")}");
            if (response.StatusCode != HttpStatusCode.OK)
                return (Fail($"GET {url} answered {(int)response.StatusCode} {response.StatusCode}: {ErrorText(text)}"), null);
            return (Interpret(text, nodeName, url), null);
        }
        catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
        {
            return (null, attempt.IsCancellationRequested ? $"GET {url} gave no answer within {margin.TotalMilliseconds:0} ms beyond the hold it asked for" : $"GET {url} timed out");
        }
        catch (OperationCanceledException)
        {
            return (null, null);
        }
        catch (HttpRequestException e)
        {
            return (null, $"GET {url} failed: {e.Message}");
        }
        catch (IOException e)
        {
            return (null, $"GET {url} failed: {e.Message}");
        }
    }

    private static NodeStateAnswer Interpret(string text, string nodeName, Uri url)
    {
        NodeStateBody? body;
        try
        {
            body = JsonSerializer.Deserialize(text, NodeStateJsonContext.Default.NodeStateBody);
        }
        catch (JsonException e)
        {
            return Fail($"GET {url} answered something that is not a node state: {e.Message}");
        }
        return body?.State switch
        {
            NodeStateContract.ShuttingDown => new(NodeVerdict.ShuttingDown, body.Reasons is { Count: > 0 } reasons
                ? $"node {nodeName} is shutting down: {string.Join(", ", reasons)}"
                : $"node {nodeName} is shutting down"),
            NodeStateContract.AtRisk => new(NodeVerdict.AtRisk, body.Reasons is { Count: > 0 } atRisk
                ? $"node {nodeName} is at risk: {string.Join(", ", atRisk)}"
                : $"node {nodeName} is at risk"),
            NodeStateContract.Ready => new(NodeVerdict.Ready, $"node {nodeName} is ready"),
            NodeStateContract.Unknown => new(NodeVerdict.Unknown, $"node {nodeName} is not known to the node-state server"),
            var other => Fail($"GET {url} answered an unexpected state '{other ?? "(none)"}'"),
        };
    }

    private static string ErrorText(string text)
    {
        try
        {
            if (JsonSerializer.Deserialize(text, NodeStateJsonContext.Default.NodeStateBody)?.Error is { Length: > 0 } error)
                return error;
        }
        catch (JsonException)
        {
        }
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length > 200 ? line[..200] : line;
    }

    private static NodeStateAnswer Fail(string detail) => new(NodeVerdict.Error, detail);
}
