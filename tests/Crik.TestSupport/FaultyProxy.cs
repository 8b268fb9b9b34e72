using System.Net;
using System.Net.Sockets;

namespace Crik.TestSupport;

/// <summary>
/// An HTTP proxy on loopback in front of a real server that fails or slows requests on command:
/// the next N requests answer 500 or 503 SlowDown, every request is delayed, or every connection
/// is cut. What is not failed is forwarded as it came, and counted.
/// </summary>
public sealed class FaultyProxy : IDisposable
{
    private readonly HttpListener _listener;
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });
    private readonly string _target;
    private readonly Task _loop;
    private int _failuresLeft;
    private int _failStatus;
    private int _requests;
    private int _conflicts;
    private readonly HashSet<string> _underWay = [];
    private readonly List<string> _seen = [];
    private readonly SemaphoreSlim _conditional;

    /// <param name="sharingConditionsWith">
    /// Another proxy in front of the same server (one per pod, to tell pods' requests apart): conditional
    /// writes through either are checked one at a time, as a single store would.
    /// </param>
    public FaultyProxy(string target, FaultyProxy? sharingConditionsWith = null)
    {
        _conditional = sharingConditionsWith?._conditional ?? new SemaphoreSlim(1, 1);
        // The tests call crik's synchronous client from their own threads while this proxy answers on
        // the pool: enough pool threads that a blocked caller never starves the proxy it waits for.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(io, 32));
        _target = target.TrimEnd('/');
        (_listener, Port) = FreePort.StartHttpListener();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>Requests that reached the proxy, failed or not.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Every request that reached the proxy: "METHOD /path?query", in order.</summary>
    public IReadOnlyList<string> Seen
    {
        get
        {
            lock (_seen)
            {
                return _seen.ToList();
            }
        }
    }

    /// <summary>
    /// Honours conditional writes as S3 and MinIO do and s3rver does not: a PUT or a multipart upload's
    /// completion with <c>If-None-Match: *</c> answers 412 when the object exists, and a PUT or DELETE with
    /// <c>If-Match: etag</c> answers 404 when there is no object and 412 when its ETag differs.
    /// Conditional requests are checked and forwarded one at a time, so racing writers see S3's
    /// outcome: exactly one of them wins.
    /// </summary>
    public bool ConditionalWrites { get; set; }

    /// <summary>An answer of the test's own for requests it picks ("METHOD /path?query" → status and body), for what s3rver does not implement.</summary>
    public Func<string, (int Status, string Body)?> Canned { get; set; } = _ => null;

    /// <summary>The size the proxy reports for a HEAD it picks ("HEAD /path"), as a store would for an object that large (no body follows).</summary>
    public Func<string, long?> HeadLengths { get; set; } = _ => null;

    /// <summary>Requests it picks ("METHOD /path?query") are forwarded, and then the connection is cut instead of answering: the store did the work, the client never hears.</summary>
    public Func<string, bool> DropAnswers { get; set; } = _ => false;

    /// <summary>
    /// Requests it picks ("METHOD /path?query") lose their connection at once and reach the store when the task it gives ends: a
    /// write the store still works on after its client gave up. A conditional one holds its object's turn meanwhile (see
    /// <see cref="ConflictWhileUnderWay"/>).
    /// </summary>
    public Func<string, Task?> StillUnderWay { get; set; } = _ => null;

    /// <summary>Conditional writes answered 409 because another was under way (<see cref="ConflictWhileUnderWay"/>).</summary>
    public int Conflicts => Volatile.Read(ref _conflicts);

    /// <summary>
    /// With <see cref="ConditionalWrites"/>, a conditional write that comes while another to the same object is under way is
    /// answered at once as S3 answers it (409 ConditionalRequestConflict), instead of waiting its turn.
    /// </summary>
    public bool ConflictWhileUnderWay { get; set; }

    /// <summary>Answers to requests it picks ("METHOD /path?query") come back with one byte of their body flipped: a store that hands out damaged data.</summary>
    public Func<string, bool> Damage { get; set; } = _ => false;

    /// <summary>Forwards GETs without their Range header, as some caches and proxies do: the whole object comes back with 200.</summary>
    public bool IgnoreRanges { get; set; }

    /// <summary>Answers carry no ETag header, as from a store (or a proxy before it) that sends none.</summary>
    public bool DropETags { get; set; }

    /// <summary>Runs before the proxy handles a request ("METHOD /path?query"): a test's way to change the store at the worst moment.</summary>
    public Action<string> BeforeForwarding { get; set; } = _ => { };

    /// <summary>
    /// A multipart upload's completion is answered as S3 and MinIO answer one that takes long: 200 at once, then a space every
    /// 200 ms for this long while the store joins the parts, then the store's answer (or <see cref="Canned"/>'s) as the body.
    /// </summary>
    public TimeSpan CompletionWork { get; set; }

    /// <summary>Delay added to every request (a throttled link).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Requests whose method and path match are answered with the failure, once armed.</summary>
    public Func<string, string, bool> Matches { get; set; } = (_, _) => true;

    /// <summary>The next <paramref name="count"/> matching requests answer <paramref name="status"/> (503 as S3's SlowDown).</summary>
    public void Fail(int count, int status)
    {
        Volatile.Write(ref _failStatus, status);
        Volatile.Write(ref _failuresLeft, count);
    }

    public void Dispose()
    {
        try
        {
            _listener.Close();
        }
        catch (HttpListenerException)
        {
            // .NET's managed listener looks its port up again on close and, when the port has gone to
            // another process meanwhile, tries to bind it and fails: the listener is closed either way.
        }
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _upstream.Dispose();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        Interlocked.Increment(ref _requests);
        HttpListenerRequest request = context.Request;
        lock (_seen)
        {
            _seen.Add($"{request.HttpMethod} {request.Url!.PathAndQuery}");
        }
        using HttpListenerResponse response = context.Response;
        try
        {
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay).ConfigureAwait(false);
            }
            BeforeForwarding($"{request.HttpMethod} {request.Url!.PathAndQuery}");
            if (Matches(request.HttpMethod, request.Url!.AbsolutePath) && Interlocked.Decrement(ref _failuresLeft) >= 0)
            {
                using var drain = new MemoryStream();
                await request.InputStream.CopyToAsync(drain).ConfigureAwait(false);
                int status = Volatile.Read(ref _failStatus);
                string code = status == 503 ? "SlowDown" : "InternalError";
                byte[] error = System.Text.Encoding.UTF8.GetBytes($"<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>injected by the test</Message></Error>");
                response.StatusCode = status;
                response.ContentType = "application/xml";
                await response.OutputStream.WriteAsync(error).ConfigureAwait(false);
                return;
            }
            if (request.HttpMethod == "HEAD" && HeadLengths($"HEAD {request.Url!.PathAndQuery}") is { } length)
            {
                response.StatusCode = 200;
                response.Headers["ETag"] = "\"0123456789abcdef0123456789abcdef\"";
                response.ContentLength64 = length;
                return;
            }
            (int Status, string Body)? answer = Canned($"{request.HttpMethod} {request.Url!.PathAndQuery}");
            if (CompletionWork > TimeSpan.Zero && IsCompletion(request))
            {
                await AnswerSlowlyAsync(request, response, answer?.Body).ConfigureAwait(false);
                return;
            }
            if (answer is { } canned)
            {
                response.StatusCode = canned.Status;
                await response.OutputStream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(canned.Body)).ConfigureAwait(false);
                return;
            }
            bool conditional = ConditionalWrites && (request.HttpMethod is "PUT" or "DELETE" || IsCompletion(request))
                && (request.Headers["If-None-Match"] is not null || request.Headers["If-Match"] is not null);
            if (conditional && !await TakeTurnAsync(request, response).ConfigureAwait(false))
            {
                return;
            }
            try
            {
                if (StillUnderWay($"{request.HttpMethod} {request.Url!.PathAndQuery}") is { } lag)
                {
                    await ForwardAfterCutAsync(request, response, lag, conditional).ConfigureAwait(false);
                    return;
                }
                if (conditional && await UnmetConditionAsync(request).ConfigureAwait(false) is { } unmet)
                {
                    await RefuseAsync(request, response, unmet.Status, unmet.Code).ConfigureAwait(false);
                    return;
                }
                await ForwardAsync(request, response).ConfigureAwait(false);
            }
            finally
            {
                if (conditional)
                {
                    EndTurn(request);
                }
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException or HttpRequestException or SocketException or ObjectDisposedException)
        {
            // The client went away or the proxy is closing.
        }
    }

    /// <summary>
    /// Waits for the conditional writes' turn; false, answered 409 at once, when S3's answer was asked for and another write to
    /// the same object is under way.
    /// </summary>
    private async Task<bool> TakeTurnAsync(HttpListenerRequest request, HttpListenerResponse response)
    {
        if (ConflictWhileUnderWay)
        {
            bool first;
            lock (_underWay)
            {
                first = _underWay.Add(request.Url!.AbsolutePath);
            }
            if (!first)
            {
                Interlocked.Increment(ref _conflicts);
                await RefuseAsync(request, response, 409, "ConditionalRequestConflict").ConfigureAwait(false);
                return false;
            }
        }
        await _conditional.WaitAsync().ConfigureAwait(false);
        return true;
    }

    private void EndTurn(HttpListenerRequest request)
    {
        _conditional.Release();
        lock (_underWay)
        {
            _underWay.Remove(request.Url!.AbsolutePath);
        }
    }

    private static async Task RefuseAsync(HttpListenerRequest request, HttpListenerResponse response, int status, string code)
    {
        using var drain = new MemoryStream();
        await request.InputStream.CopyToAsync(drain).ConfigureAwait(false);
        response.StatusCode = status;
        await response.OutputStream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(
            $"<Error><Code>{code}</Code><Message>injected by the proxy</Message></Error>")).ConfigureAwait(false);
    }

    /// <summary>Cuts the client off with the request read, then carries it out once <paramref name="lag"/> ends, as the store would have.</summary>
    private async Task ForwardAfterCutAsync(HttpListenerRequest request, HttpListenerResponse response, Task lag, bool conditional)
    {
        using HttpRequestMessage forward = await ForwardedAsync(request).ConfigureAwait(false);
        await CutOffAsync(response).ConfigureAwait(false);
        await lag.ConfigureAwait(false);
        if (conditional && await UnmetConditionAsync(request).ConfigureAwait(false) is not null)
        {
            return;
        }
        using HttpResponseMessage _ = await _upstream.SendAsync(forward).ConfigureAwait(false);
    }

    /// <summary>Drops the connection without an answer. HttpListener's Abort alone still sends an empty 200; a body cut short is what the client sees of a dropped connection.</summary>
    private static async Task CutOffAsync(HttpListenerResponse response)
    {
        response.ContentLength64 = 1000;
        await response.OutputStream.WriteAsync(new byte[1]).ConfigureAwait(false);
        await response.OutputStream.FlushAsync().ConfigureAwait(false);
        response.Abort();
    }

    private static bool IsCompletion(HttpListenerRequest request) =>
        request.HttpMethod == "POST" && request.QueryString["uploadId"] is not null;

    /// <summary>S3's answer to a conditional write whose condition does not hold, or null when it holds.</summary>
    private async Task<(int Status, string Code)?> UnmetConditionAsync(HttpListenerRequest request)
    {
        using var head = new HttpRequestMessage(HttpMethod.Head, _target + request.Url!.AbsolutePath);
        using HttpResponseMessage current = await _upstream.SendAsync(head).ConfigureAwait(false);
        string? etag = current.IsSuccessStatusCode ? current.Headers.ETag?.Tag : null;
        if (request.Headers["If-None-Match"] == "*" && etag is not null)
        {
            return (412, "PreconditionFailed");
        }
        if (request.Headers["If-Match"] is { } wanted)
        {
            if (etag is null)
            {
                return (404, "NoSuchKey");
            }
            if (wanted.Trim('"') != etag.Trim('"'))
            {
                return (412, "PreconditionFailed");
            }
        }
        return null;
    }

    private async Task AnswerSlowlyAsync(HttpListenerRequest request, HttpListenerResponse response, string? canned)
    {
        Task<byte[]> body = canned is null ? ForwardedBodyAsync(request) : Task.FromResult(System.Text.Encoding.UTF8.GetBytes(canned));
        response.StatusCode = 200;
        response.SendChunked = true;
        DateTime until = DateTime.UtcNow + CompletionWork;
        do
        {
            await response.OutputStream.WriteAsync(" "u8.ToArray()).ConfigureAwait(false);
            await response.OutputStream.FlushAsync().ConfigureAwait(false);
            await Task.Delay(200).ConfigureAwait(false);
        }
        while (DateTime.UtcNow < until || !body.IsCompleted);
        await response.OutputStream.WriteAsync(await body.ConfigureAwait(false)).ConfigureAwait(false);
    }

    private async Task<byte[]> ForwardedBodyAsync(HttpListenerRequest request)
    {
        using HttpRequestMessage forward = await ForwardedAsync(request).ConfigureAwait(false);
        using HttpResponseMessage answer = await _upstream.SendAsync(forward).ConfigureAwait(false);
        return await answer.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
    }

    private async Task ForwardAsync(HttpListenerRequest request, HttpListenerResponse response)
    {
        using HttpRequestMessage forward = await ForwardedAsync(request).ConfigureAwait(false);
        using HttpResponseMessage answer = await _upstream.SendAsync(forward).ConfigureAwait(false);
        await ForwardAnswerAsync(request, response, answer).ConfigureAwait(false);
    }

    /// <summary>The request as it goes on to the server: its body, and its headers but those the proxy changes.</summary>
    private async Task<HttpRequestMessage> ForwardedAsync(HttpListenerRequest request)
    {
        var forward = new HttpRequestMessage(new HttpMethod(request.HttpMethod), _target + request.Url!.PathAndQuery);
        using var body = new MemoryStream();
        await request.InputStream.CopyToAsync(body).ConfigureAwait(false);
        if (body.Length > 0 || request.HttpMethod is "PUT" or "POST")
        {
            forward.Content = new ByteArrayContent(body.ToArray());
        }
        foreach (string? name in request.Headers.AllKeys)
        {
            if (name is null || name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                || (IgnoreRanges && name.Equals("Range", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }
            if (!forward.Headers.TryAddWithoutValidation(name, request.Headers[name]))
            {
                forward.Content?.Headers.TryAddWithoutValidation(name, request.Headers[name]);
            }
        }
        return forward;
    }

    private async Task ForwardAnswerAsync(HttpListenerRequest request, HttpListenerResponse response, HttpResponseMessage answer)
    {
        if (DropAnswers($"{request.HttpMethod} {request.Url!.PathAndQuery}"))
        {
            await CutOffAsync(response).ConfigureAwait(false);
            return;
        }
        response.StatusCode = (int)answer.StatusCode;
        foreach (var header in answer.Headers.Concat(answer.Content.Headers))
        {
            if (!header.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && !header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                && !(DropETags && header.Key.Equals("ETag", StringComparison.OrdinalIgnoreCase)))
            {
                response.Headers[header.Key] = string.Join(",", header.Value);
            }
        }
        byte[] content = await answer.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        if (content.Length > 0 && answer.IsSuccessStatusCode && Damage($"{request.HttpMethod} {request.Url!.PathAndQuery}"))
        {
            content[content.Length / 2] ^= 0x5a;
        }
        if (request.HttpMethod == "HEAD")
        {
            response.ContentLength64 = answer.Content.Headers.ContentLength ?? 0;
            return;
        }
        response.ContentLength64 = content.Length;
        await response.OutputStream.WriteAsync(content).ConfigureAwait(false);
    }
}
