using System.Net;
using System.Text;
using Crik.Cli.Observing;
using Crik.Cli.Records;
using Crik.Cli.Timing;

namespace Crik.Cli.ObjectStorage;

/// <summary>
/// How one S3 request is sent (for <see cref="S3Client"/>): signed, attempt after attempt (as <paramref name="retry"/> says) until it is
/// answered, out of time (<see cref="CallDeadline"/>: the bound its caller set on the thread) or out of retries; counted once in
/// crik_store_requests_total unless a wrapper above counts it.
/// </summary>
internal sealed class S3Sender(HttpClient http, S3Settings settings, CredentialSource credentials, S3RetryPolicy retry, TimeProvider clock)
{
    private enum AttemptOutcome
    {
        Answered,
        RetryAtOnce,
        RetryAfterBackOff,
        GiveUp,
    }

    /// <summary>Whether each request is counted in crik_store_requests_total here (not when a wrapper above counts it).</summary>
    public bool Counted { get; set; } = true;

    /// <summary>Sends <paramref name="request"/> as often as it takes; counted once in crik_store_requests_total, and in errors when it fails in the end.</summary>
    public S3Response Send(S3Request request)
    {
        if (!Counted)
        {
            return SendAttempts(request);
        }
        string operation = Operation(request);
        try
        {
            S3Response answer = SendAttempts(request);
            Tallies.StoreRequest(Tallies.S3, operation);
            return answer;
        }
        catch
        {
            Tallies.StoreRequest(Tallies.S3, operation, failed: true);
            throw;
        }
    }

    /// <summary>What a request does, as the store's metrics label it: the lease, a listing, a read, a delete or a write.</summary>
    private static string Operation(S3Request request) =>
        request.Name == StoreLayout.LockFile ? "lock"
        : request.Name is null ? "list"
        : request.Method == HttpMethod.Get || request.Method == HttpMethod.Head ? "read"
        : request.Method == HttpMethod.Delete ? "delete"
        : "write";

    private S3Response SendAttempts(S3Request request)
    {
        var history = new S3AttemptHistory();
        for (int attempt = 1; ; attempt++)
        {
            if (attempt > 1)
            {
                Tallies.StoreRetry(Tallies.S3);
            }
            DateTimeOffset now = clock.GetUtcNow();
            TimeSpan left = TimeLeft();
            ThrowIfOutOfTime(request, attempt, left, history);
            (S3Response? answer, AttemptOutcome outcome) = Attempt(request, attempt, now, left, history);
            if (answer is not null)
            {
                return answer;
            }
            if (outcome == AttemptOutcome.GiveUp)
            {
                throw GaveUp(request, history);
            }
            if (outcome == AttemptOutcome.RetryAfterBackOff)
            {
                Thread.Sleep(retry.DelayWithin(attempt, TimeLeft()));
            }
        }
    }

    private static void ThrowIfOutOfTime(S3Request request, int attempt, TimeSpan left, S3AttemptHistory history)
    {
        if (CallDeadline.Cut.IsCancellationRequested)
        {
            throw new S3Exception($"{request.Description} was {(attempt == 1 ? "not sent" : "given up")}: the lease it is written under may be another crik's by now, "
                + "so it must not land", history.Status, history.Code);
        }
        if (left <= TimeSpan.Zero)
        {
            throw new S3Exception(attempt == 1 ? $"{request.Description} was not sent: the time crik had for the store ran out"
                : $"{request.Description} failed and the time crik had for the store ran out: {history.Problem}", history.Status, history.Code);
        }
    }

    private S3Exception GaveUp(S3Request request, S3AttemptHistory history)
    {
        string times = retry.Attempts > 1 && S3RetryPolicy.IsRetried(history.Status, history.Code) ? $" {retry.Attempts} times" : "";
        return new S3Exception($"{request.Description} failed{times}: {history.Problem}; {S3Errors.Hint(history.Code, history.Status)}", history.Status, history.Code);
    }

    /// <summary>Sends the request once: its answer when that is to be kept, else null and what to do next (the failure is in <paramref name="history"/>).</summary>
    private (S3Response? Answer, AttemptOutcome Outcome) Attempt(S3Request request, int attempt, DateTimeOffset now, TimeSpan left, S3AttemptHistory history)
    {
        // The client's own limit bounds the wait for the headers; a request with patience for its body waits longer after them.
        TimeSpan whole = request.BodyPatience is { } patience && patience > http.Timeout ? patience : http.Timeout, limit = http.Timeout;
        // Cut too when the lease the request is written under may be another's by now (CallDeadline.Cut): a late write must not land.
        using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(CallDeadline.Cut);
        attemptTimeout.CancelAfter(Min(left, whole));
        try
        {
            using HttpRequestMessage message = request.NewMessage();
            AwsCredentials signedWith = credentials.Get(now, left);
            SigV4.Sign(message, request.CanonicalPath, request.Query, request.PayloadHash, signedWith, settings.Region, now);
            HttpResponseMessage response = http.Send(message, request.Completion, attemptTimeout.Token);
            limit = whole;
            S3Response answer = Read(response, request, attemptTimeout.Token);
            if (Keep(request, response, answer, history) is { } kept)
            {
                return (kept, AttemptOutcome.Answered);
            }
            return (null, AfterFailedAnswer(attempt, signedWith, history));
        }
        catch (Exception e) when ((e is HttpRequestException or IOException or OperationCanceledException && e is not S3Exception)
            || (e is ObjectDisposedException && attemptTimeout.IsCancellationRequested))
        {
            history.GotNoAnswer(CallDeadline.Cut.IsCancellationRequested ? "cut: the lease it is written under may be another crik's by now"
                : e is OperationCanceledException || attemptTimeout.IsCancellationRequested ? $"no answer within {Min(left, limit).TotalSeconds:0.#} s"
                : e.Message);
            return (null, retry.TriesAgain(attempt, history.Status, history.Code) ? AttemptOutcome.RetryAfterBackOff : AttemptOutcome.GiveUp);
        }
    }

    private static S3Response Read(HttpResponseMessage response, S3Request request, CancellationToken attemptTimeout)
    {
        try
        {
            // With only the headers read, a body that stops coming must still end with the attempt.
            using CancellationTokenRegistration abort = attemptTimeout.Register(response.Dispose);
            return new S3Response(response, hasBody: request.Method != HttpMethod.Head, slice: Kept(request.Range, response.StatusCode));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// What to keep of the body of an answer to a range: of a whole object (200, a store that ignores Range) the range; of a 206 no
    /// more than the range's length (s3rver answers <c>bytes=0-0</c> with the whole object); of any other answer (an error) all of it.
    /// </summary>
    private static (long From, long To)? Kept((long From, long To)? asked, HttpStatusCode status) =>
        asked is not { } range ? null
        : status == HttpStatusCode.OK ? range
        : status == HttpStatusCode.PartialContent ? (0, range.To - range.From)
        : null;

    /// <summary>The answer to return (a success, a condition not met, a missing object), or null after recording it in <paramref name="history"/> as a failure.</summary>
    private static S3Response? Keep(S3Request request, HttpResponseMessage response, S3Response answer, S3AttemptHistory history)
    {
        int status = (int)response.StatusCode;
        bool success = response.StatusCode == request.Expect || status is >= 200 and < 300;
        // S3 may answer 200 to CompleteMultipartUpload and put its error (InternalError, SlowDown) in the body.
        (string? code, string message) = success && !request.ErrorIn200 ? (null, "") : S3Errors.Parse(Encoding.UTF8.GetString(answer.Body));
        if (success && code is null)
        {
            return answer;
        }
        answer.Dispose();
        if (request.IsConditional && (status == 412 || (status == 409 && !S3RetryPolicy.IsTransient(status, code))))
        {
            return history.AnyUnanswered ? S3Response.NotMetAfterLostAnswer : S3Response.NotMet;
        }
        if (request.UnsatisfiableIsEmpty && status == 416)
        {
            return S3Response.Empty;
        }
        if (request.MissingIsAnswer && status == 404 && code is null or "NoSuchKey" or "NoSuchUpload")
        {
            return S3Response.Missing;
        }
        history.FailedWith(status, code, $"{status} {code ?? response.ReasonPhrase}{(message.Length > 0 ? ": " + message : "")}");
        return null;
    }

    private AttemptOutcome AfterFailedAnswer(int attempt, AwsCredentials signedWith, S3AttemptHistory history)
    {
        if (history.Code is "ExpiredToken" or "InvalidToken" && credentials.IsWebIdentity && attempt == 1)
        {
            credentials.Expire(signedWith);
            return AttemptOutcome.RetryAtOnce;
        }
        return retry.TriesAgain(attempt, history.Status, history.Code) ? AttemptOutcome.RetryAfterBackOff : AttemptOutcome.GiveUp;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>The call's time left (<see cref="CallDeadline"/>, set by whoever bounds it: a wrapper above, the lease); unbounded when none is set.</summary>
    private static TimeSpan TimeLeft() => CallDeadline.Left is var call && call != Timeout.InfiniteTimeSpan ? call : TimeSpan.MaxValue;
}
