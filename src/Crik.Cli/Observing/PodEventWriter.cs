using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Crik.Cli.Guarding;
using Crik.Cli.Processes;
using Crik.Shared.Kubernetes;
using Serilog;

namespace Crik.Cli.Observing;

/// <summary>
/// Writes each moment's Event (<see cref="PodEventText"/>) regarding crik's own Pod, and keeps the Pod's
/// crik/last-checkpoint and crik/last-restore annotations (<see cref="PodAnnotations"/>). Publishing only queues: the requests run on their own
/// task, each within <see cref="RequestTime"/>, and at exit what is queued gets at most <see cref="FlushTime"/>.
/// </summary>
/// <remarks>
/// What crik writes does not grow with how often it checkpoints. Events are kept in series: all committed
/// checkpoints but the last one of a pod (SIGTERM, <c>crik checkpoint --exit</c>) are one series, and any other
/// Event is one series with the same Event again. The first Event of a series is written at once; those after it
/// within <see cref="SeriesWindow"/> count it up, at most once per write interval (a minute), with the latest
/// message, and what is still uncounted at exit is written then. A new series is never held back, so a Warning
/// that says something new arrives at once, and none is dropped. The annotations are patched together, at most
/// once per write interval, the latest value winning, and the last values are patched at exit. When the API
/// refuses (401, 403) or cannot be reached, crik says so once and the app is never the worse for it. An exception
/// nobody expected switches the writer off (<see cref="SwitchOff"/>): no more Events, the app goes on.
/// </remarks>
internal sealed class PodEventWriter : IHappeningListener, IDisposable
{
    public static readonly TimeSpan RequestTime = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan FlushTime = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan SeriesWindow = TimeSpan.FromMinutes(10);

    /// <summary>How often a series is counted up and the annotations patched, at most.</summary>
    public static readonly TimeSpan WriteInterval = TimeSpan.FromMinutes(1);
    private const int QueueLength = 64;
    private const int MaxMessageLength = 1024;

    public const string LastCheckpointAnnotation = PodAnnotations.LastCheckpointAnnotation;
    public const string LastRestoreAnnotation = PodAnnotations.LastRestoreAnnotation;

    /// <summary>The name of its sending task in the guard's and the fault seam's words.</summary>
    public const string ThreadName = "crik pod events";

    private readonly Channel<(PodEventText Text, Happening Happening, DateTimeOffset At)> _queue =
        Channel.CreateBounded<(PodEventText, Happening, DateTimeOffset)>(new BoundedChannelOptions(QueueLength)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropWrite,
        });

    private readonly Dictionary<(string Reason, string Key), EventSeries> _series = [];
    private readonly PodResource _pod;
    private readonly PodAnnotations _annotations;
    private readonly ILogger _log;
    private readonly (TimeSpan WriteInterval, TimeSpan FlushTime) _timing;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _sending;
    private bool _refused;
    private bool _unreachableSaid;

    /// <param name="writeInterval">How often a series is counted up and the annotations patched; <see cref="WriteInterval"/> unless a test says otherwise.</param>
    /// <param name="flushTime">How long <see cref="Dispose"/> waits for what is queued; <see cref="FlushTime"/> unless a test says otherwise.</param>
    public PodEventWriter(KubeApiClient api, PodIdentity pod, ILogger log, TimeSpan? writeInterval = null, TimeSpan? flushTime = null)
    {
        _pod = new PodResource(api, pod);
        _log = log;
        _timing = (writeInterval ?? WriteInterval, flushTime ?? FlushTime);
        _annotations = new PodAnnotations(_pod, log, _timing.WriteInterval);
        _sending = Task.Run(() => Guard.RunAsync(ThreadName, SendAllAsync, SwitchOff));
    }

    public void On(Happening happening)
    {
        if (PodEventText.For(happening) is { } text)
        {
            _queue.Writer.TryWrite((text, happening, DateTimeOffset.UtcNow));
        }
    }

    /// <summary>Sends what is queued, then what the series and annotations hold back, for at most <see cref="FlushTime"/>, then stops.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        if (Task.WhenAny(_sending, Task.Delay(_timing.FlushTime)).GetAwaiter().GetResult() != _sending)
        {
            _log.Debug("Pod Events still queued at exit were dropped after {Seconds} s", _timing.FlushTime.TotalSeconds);
        }
        // Cancelled, not disposed: the sending task may still be between two requests, and drops the rest.
        _stopping.Cancel();
    }

    /// <summary>
    /// What an exception nobody expected does: the queue is closed, so later moments are dropped where they are
    /// published, and crik says so once. Nothing of crik's waits for an Event.
    /// </summary>
    private void SwitchOff(string name, Exception e)
    {
        _queue.Writer.TryComplete();
        _log.Warning("crik's pod Events are switched off: no more Events or annotations on the Pod {Namespace}/{Pod} until crik starts again; "
            + "the app goes on, and so do its checkpoints. Why: {Thread} failed unexpectedly: {Error}", _pod.Identity.Namespace, _pod.Identity.Name, name, e.ToString());
    }

    /// <summary>
    /// Takes each moment as it comes; between them, wakes when a series or the annotations are due to be written.
    /// Once the queue is closed (crik exits), writes what they still hold back.
    /// </summary>
    private async Task SendAllAsync()
    {
        ChannelReader<(PodEventText Text, Happening Happening, DateTimeOffset At)> queue = _queue.Reader;
        while (true)
        {
            Task<bool> more = queue.WaitToReadAsync().AsTask();
            if (!more.IsCompleted && DueIn(DateTimeOffset.UtcNow) is { } due)
            {
                using var wake = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                await Task.WhenAny(more, Task.Delay(due, wake.Token)).ConfigureAwait(false);
                await wake.CancelAsync().ConfigureAwait(false); // the timer goes with the wait it was for
            }
            else
            {
                await more.ConfigureAwait(false);
            }
            while (queue.TryRead(out var item))
            {
                await SendGuardedAsync(item.Text.Reason, cancellationToken => TakeAsync(item.Text, item.Happening, item.At, cancellationToken)).ConfigureAwait(false);
            }
            await WriteDueAsync(atExit: false).ConfigureAwait(false);
            if (more.IsCompleted && !await more.ConfigureAwait(false))
            {
                break;
            }
        }
        await WriteDueAsync(atExit: true).ConfigureAwait(false);
    }

    /// <summary>One moment: a new series is written at once, another of a series waits its turn; a new annotation value replaces the one not yet patched.</summary>
    private async Task TakeAsync(PodEventText text, Happening happening, DateTimeOffset at, CancellationToken cancellationToken)
    {
        _annotations.Take(happening, text.Message);
        string message = Shortened(text.Message);
        var key = (text.Reason, SeriesKey(happening, message));
        if (_series.TryGetValue(key, out EventSeries? series) && !series.Ended && at - series.First < SeriesWindow)
        {
            series.Uncounted++;
            series.Message = message;
            series.Last = at;
            return;
        }
        // A series older than the window is never counted up again: forgotten (once what it held back is written), so months of checkpoints do not pile up here.
        foreach (var old in _series.Where(s => s.Value.Ended || at - s.Value.First >= SeriesWindow).ToList())
        {
            _series.Remove(old.Key);
            try
            {
                await CountUpAsync(old.Value, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException or OperationCanceledException)
            {
                // What it held back is lost; the new Event is still written.
                _log.Debug("A pod Event series was not counted up: {Error}", e.Message);
            }
        }
        await _pod.ReadUidOnceAsync(cancellationToken).ConfigureAwait(false);
        string name = $"{_pod.Identity.Name}.{at.ToUnixTimeMilliseconds() * 1_000_000 + Random.Shared.Next(1_000_000):x}";
        await _pod.Api.SendJsonAsync(HttpMethod.Post, _pod.EventsUrl, EventJson(name, text.Type, text.Reason, message, at), "application/json", cancellationToken)
            .ConfigureAwait(false);
        _series[key] = new EventSeries(name, at) { Message = message, Last = at, Written = at };
    }

    /// <summary>
    /// Which series an Event belongs to: every committed checkpoint but a pod's last is one (its message says which
    /// checkpoint, and changes every time); anything else only with the same message again.
    /// </summary>
    private static string SeriesKey(Happening happening, string message) => happening switch
    {
        Happening.CheckpointCommitted { Reason: "sigterm" or "on_demand_exit" } => message,
        Happening.CheckpointCommitted => "",
        _ => message,
    };

    /// <summary>How long until a series or the annotations may be written again; null when nothing waits.</summary>
    private TimeSpan? DueIn(DateTimeOffset now)
    {
        if (_refused)
        {
            return null;
        }
        IEnumerable<DateTimeOffset> due = _series.Values.Where(s => s.Uncounted > 0).Select(s => s.Written + _timing.WriteInterval);
        if (_annotations.Due is { } annotationsDue)
        {
            due = due.Append(annotationsDue);
        }
        return due.Select(d => d - now).Select(d => d < TimeSpan.Zero ? TimeSpan.Zero : d).Cast<TimeSpan?>().Min();
    }

    /// <summary>Counts up the series and patches the annotations whose interval has passed; at exit, all of them.</summary>
    private async Task WriteDueAsync(bool atExit)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        foreach (EventSeries series in _series.Values.Where(s => s.Uncounted > 0 && (atExit || now - s.Written >= _timing.WriteInterval)).ToList())
        {
            await SendGuardedAsync("series", cancellationToken => CountUpAsync(series, cancellationToken)).ConfigureAwait(false);
        }
        if (_annotations.IsDue(now, atExit))
        {
            await SendGuardedAsync("annotations", _annotations.PatchAsync).ConfigureAwait(false);
        }
    }

    /// <summary>Writes what a series holds back: its count, its latest time and message. What fails is not tried again: the next moment starts a new series.</summary>
    private async Task CountUpAsync(EventSeries series, CancellationToken cancellationToken)
    {
        if (series.Uncounted == 0)
        {
            return;
        }
        int count = series.Count + series.Uncounted;
        (series.Count, series.Uncounted, series.Written) = (count, 0, DateTimeOffset.UtcNow);
        try
        {
            await _pod.Api.SendJsonAsync(HttpMethod.Patch, _pod.EventsUrl + "/" + series.Name, SeriesJson(count, series.Last, series.Message),
                KubeApiClient.MergePatch, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            series.Ended = true;
            throw;
        }
    }

    /// <summary>
    /// One write (or none) within <see cref="RequestTime"/>, with what an answer means for the writes after it: a
    /// refusal stops them all, anything else is said once and the next is still tried.
    /// </summary>
    private async Task SendGuardedAsync(string what, Func<CancellationToken, Task> send)
    {
        if (_refused || _stopping.IsCancellationRequested)
        {
            return;
        }
        FaultSeam.Hit(ThreadName);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(RequestTime);
            await send(timeout.Token).ConfigureAwait(false);
        }
        catch (KubeApiException e) when (e.IsAuthProblem)
        {
            _refused = true;
            _log.Warning("Kubernetes sees no Events from crik: the API refused ({Status}: {Error}). Grant the pod's service account create and patch "
                + "on events and get and patch on pods in {Namespace} (docs/observing.md has the Role); the checkpoints are unaffected",
                (int)e.Status, e.Message, _pod.Identity.Namespace);
        }
        catch (KubeApiException e) when (e.Status == HttpStatusCode.NotFound && _pod.Uid is null)
        {
            _refused = true;
            _log.Warning("Kubernetes sees no Events from crik: it cannot find its Pod {Namespace}/{Name} ({Error}). Set POD_NAME and POD_NAMESPACE "
                + "from the downward API (fieldRef metadata.name and metadata.namespace); the checkpoints are unaffected", _pod.Identity.Namespace, _pod.Identity.Name, e.Message);
        }
        catch (Exception e)
        {
            // Whatever the API answers (an error, a body that is not a Pod), the next Event is still tried.
            if (!_unreachableSaid)
            {
                _unreachableSaid = true;
                _log.Warning("Cannot write a pod Event to the Kubernetes API at {Server} ({Error}); crik keeps trying with later ones, "
                    + "and the checkpoints are unaffected", _pod.Api.Server, e.Message);
            }
            _log.Debug("Pod Event {Reason} not written: {Error}", what, e.Message);
        }
    }

    /// <summary>A series of the same Event: its name on the API server, what it counts there, and what it holds back.</summary>
    private sealed class EventSeries(string name, DateTimeOffset first)
    {
        public string Name => name;

        public DateTimeOffset First => first;

        public int Count { get; set; } = 1;

        public int Uncounted { get; set; }

        public string Message { get; set; } = "";

        public DateTimeOffset Last { get; set; }

        /// <summary>Its last count-up failed (it may be gone from the API): the next of its Events starts a new series.</summary>
        public bool Ended { get; set; }

        /// <summary>When the series was last written.</summary>
        public DateTimeOffset Written { get; set; }
    }

    private string EventJson(string name, string type, string reason, string message, DateTimeOffset at) => Json(w =>
    {
        w.WriteString("apiVersion", "v1");
        w.WriteString("kind", "Event");
        w.WriteStartObject("metadata");
        w.WriteString("name", name);
        w.WriteString("namespace", _pod.Identity.Namespace);
        w.WriteEndObject();
        w.WriteStartObject("involvedObject");
        w.WriteString("apiVersion", "v1");
        w.WriteString("kind", "Pod");
        w.WriteString("name", _pod.Identity.Name);
        w.WriteString("namespace", _pod.Identity.Namespace);
        w.WriteString("uid", _pod.Uid);
        w.WriteEndObject();
        w.WriteString("type", type);
        w.WriteString("reason", reason);
        w.WriteString("message", message);
        w.WriteStartObject("source");
        w.WriteString("component", "crik");
        if (_pod.Identity.Node is { } node)
        {
            w.WriteString("host", node);
        }
        w.WriteEndObject();
        w.WriteString("reportingComponent", "crik");
        w.WriteString("reportingInstance", _pod.Identity.Name);
        w.WriteString("firstTimestamp", Timestamp(at));
        w.WriteString("lastTimestamp", Timestamp(at));
        w.WriteNumber("count", 1);
    });

    private static string SeriesJson(int count, DateTimeOffset at, string message) => Json(w =>
    {
        w.WriteNumber("count", count);
        w.WriteString("lastTimestamp", Timestamp(at));
        w.WriteString("message", message);
    });

    /// <summary>At most <see cref="MaxMessageLength"/> characters, never cut inside a surrogate pair.</summary>
    private static string Shortened(string message)
    {
        if (message.Length <= MaxMessageLength)
        {
            return message;
        }
        int cut = MaxMessageLength - 3;
        if (char.IsHighSurrogate(message[cut - 1]))
        {
            cut--;
        }
        return message[..cut] + "...";
    }

    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>One JSON object, its members written by <paramref name="body"/>: an Event, a count-up or an annotation patch.</summary>
    internal static string Json(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
