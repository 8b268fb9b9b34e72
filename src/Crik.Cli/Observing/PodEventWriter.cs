using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Crik.Cli.Processes;
using Crik.Shared.Kubernetes;
using Serilog;

namespace Crik.Cli.Observing;

/// <summary>
/// Writes each moment's Event (<see cref="PodEventText"/>) regarding crik's own Pod, and keeps the Pod's
/// crik/last-checkpoint and crik/last-restore annotations. Publishing only queues: the requests run on their own
/// task, each within <see cref="RequestTime"/>, and at exit what is queued gets at most <see cref="FlushTime"/>.
/// The same Event again within <see cref="SeriesWindow"/> counts up the first one instead of making another.
/// When the API refuses (401, 403) or cannot be reached, crik says so once and the app is never the worse for it.
/// An exception nobody expected switches the writer off (<see cref="SwitchOff"/>): no more Events, the app goes on.
/// </summary>
internal sealed class PodEventWriter : IHappeningListener, IDisposable
{
    public static readonly TimeSpan RequestTime = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan FlushTime = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan SeriesWindow = TimeSpan.FromMinutes(10);
    private const int QueueLength = 64;
    private const int MaxMessageLength = 1024;

    public const string LastCheckpointAnnotation = "crik/last-checkpoint";
    public const string LastRestoreAnnotation = "crik/last-restore";

    /// <summary>The name of its sending task in the guard's and the fault seam's words.</summary>
    public const string ThreadName = "crik pod events";

    private readonly Channel<(PodEventText Text, Happening Happening, DateTimeOffset At)> _queue =
        Channel.CreateBounded<(PodEventText, Happening, DateTimeOffset)>(new BoundedChannelOptions(QueueLength)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropWrite,
        });

    private readonly Dictionary<(string Reason, string Message), (string Name, int Count, DateTimeOffset First)> _series = [];
    private readonly KubeApiClient _api;
    private readonly PodIdentity _pod;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _sending;
    private string? _uid;
    private bool _refused;
    private bool _unreachableSaid;
    private bool _annotationsRefused;

    public PodEventWriter(KubeApiClient api, PodIdentity pod, ILogger log)
    {
        _api = api;
        _pod = pod;
        _log = log;
        _sending = Task.Run(() => Guard.RunAsync(ThreadName, SendAllAsync, SwitchOff));
    }

    public void On(Happening happening)
    {
        if (PodEventText.For(happening) is { } text)
        {
            _queue.Writer.TryWrite((text, happening, DateTimeOffset.UtcNow));
        }
    }

    /// <summary>Sends what is queued for at most <see cref="FlushTime"/>, then stops.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        if (Task.WhenAny(_sending, Task.Delay(FlushTime)).GetAwaiter().GetResult() != _sending)
        {
            _log.Debug("Pod Events still queued at exit were dropped after {Seconds} s", FlushTime.TotalSeconds);
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
            + "the app goes on, and so do its checkpoints. Why: {Thread} failed unexpectedly: {Error}", _pod.Namespace, _pod.Name, name, e.ToString());
    }

    private async Task SendAllAsync()
    {
        await foreach (var (text, happening, at) in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (_refused || _stopping.IsCancellationRequested)
            {
                continue;
            }
            FaultSeam.Hit(ThreadName);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                timeout.CancelAfter(RequestTime);
                _uid ??= await ReadUidAsync(timeout.Token).ConfigureAwait(false);
                await WriteAsync(text, at, timeout.Token).ConfigureAwait(false);
                await AnnotateAsync(happening, text, timeout.Token).ConfigureAwait(false);
            }
            catch (KubeApiException e) when (e.IsAuthProblem)
            {
                _refused = true;
                _log.Warning("Kubernetes sees no Events from crik: the API refused ({Status}: {Error}). Grant the pod's service account create and patch "
                    + "on events and get and patch on pods in {Namespace} (docs/observing.md has the Role); the checkpoints are unaffected",
                    (int)e.Status, e.Message, _pod.Namespace);
            }
            catch (KubeApiException e) when (e.Status == HttpStatusCode.NotFound && _uid is null)
            {
                _refused = true;
                _log.Warning("Kubernetes sees no Events from crik: it cannot find its Pod {Namespace}/{Name} ({Error}). Set POD_NAME and POD_NAMESPACE "
                    + "from the downward API (fieldRef metadata.name and metadata.namespace); the checkpoints are unaffected", _pod.Namespace, _pod.Name, e.Message);
            }
            catch (Exception e)
            {
                // Whatever the API answers (an error, a body that is not a Pod), the next Event is still tried.
                if (!_unreachableSaid)
                {
                    _unreachableSaid = true;
                    _log.Warning("Cannot write a pod Event to the Kubernetes API at {Server} ({Error}); crik keeps trying with later ones, "
                        + "and the checkpoints are unaffected", _api.Server, e.Message);
                }
                _log.Debug("Pod Event {Reason} not written: {Error}", text.Reason, e.Message);
            }
        }
    }

    private async Task<string> ReadUidAsync(CancellationToken cancellationToken)
    {
        using var response = await _api.GetAsync(PodUrl, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using JsonDocument pod = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
        return pod.RootElement.GetProperty("metadata").GetProperty("uid").GetString()
            ?? throw new JsonException($"the Pod {_pod.Namespace}/{_pod.Name} has no metadata.uid");
    }

    private string PodUrl => _api.UrlOf($"/api/v1/namespaces/{Uri.EscapeDataString(_pod.Namespace)}/pods/{Uri.EscapeDataString(_pod.Name)}");

    private string EventsUrl => _api.UrlOf($"/api/v1/namespaces/{Uri.EscapeDataString(_pod.Namespace)}/events");

    private async Task WriteAsync(PodEventText text, DateTimeOffset at, CancellationToken cancellationToken)
    {
        string message = Shortened(text.Message);
        var key = (text.Reason, message);
        if (_series.TryGetValue(key, out var series) && at - series.First < SeriesWindow)
        {
            series = series with { Count = series.Count + 1 };
            await _api.SendJsonAsync(HttpMethod.Patch, EventsUrl + "/" + series.Name, SeriesJson(series.Count, at),
                KubeApiClient.MergePatch, cancellationToken).ConfigureAwait(false);
            _series[key] = series;
            return;
        }
        // A series older than the window is never counted up again: forgotten, so months of checkpoints do not pile up here.
        foreach (var old in _series.Where(s => at - s.Value.First >= SeriesWindow).Select(s => s.Key).ToList())
        {
            _series.Remove(old);
        }
        string name = $"{_pod.Name}.{at.ToUnixTimeMilliseconds() * 1_000_000 + Random.Shared.Next(1_000_000):x}";
        await _api.SendJsonAsync(HttpMethod.Post, EventsUrl, EventJson(name, text.Type, text.Reason, message, at), "application/json", cancellationToken)
            .ConfigureAwait(false);
        _series[key] = (name, 1, at);
    }

    /// <summary>What outlives the Events' hour: the last checkpoint and the last restore, on the Pod itself.</summary>
    private async Task AnnotateAsync(Happening happening, PodEventText text, CancellationToken cancellationToken)
    {
        string? annotation = happening switch
        {
            Happening.CheckpointCommitted => LastCheckpointAnnotation,
            Happening.Restored or Happening.StartedFresh => LastRestoreAnnotation,
            _ => null,
        };
        if (annotation is null || _annotationsRefused)
        {
            return;
        }
        string json = Json(w =>
        {
            w.WriteStartObject("metadata");
            w.WriteStartObject("annotations");
            w.WriteString(annotation, text.Message);
            w.WriteEndObject();
            w.WriteEndObject();
        });
        try
        {
            await _api.SendJsonAsync(HttpMethod.Patch, PodUrl, json, KubeApiClient.MergePatch, cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException e) when (e.IsAuthProblem)
        {
            // A Role without patch on pods still gets its Events.
            _annotationsRefused = true;
            _log.Warning("crik cannot annotate its Pod ({Status}: {Error}); its Events are still written. Grant patch on pods in {Namespace} "
                + "for the crik/last-checkpoint and crik/last-restore annotations", (int)e.Status, e.Message, _pod.Namespace);
        }
    }

    private string EventJson(string name, string type, string reason, string message, DateTimeOffset at) => Json(w =>
    {
        w.WriteString("apiVersion", "v1");
        w.WriteString("kind", "Event");
        w.WriteStartObject("metadata");
        w.WriteString("name", name);
        w.WriteString("namespace", _pod.Namespace);
        w.WriteEndObject();
        w.WriteStartObject("involvedObject");
        w.WriteString("apiVersion", "v1");
        w.WriteString("kind", "Pod");
        w.WriteString("name", _pod.Name);
        w.WriteString("namespace", _pod.Namespace);
        w.WriteString("uid", _uid);
        w.WriteEndObject();
        w.WriteString("type", type);
        w.WriteString("reason", reason);
        w.WriteString("message", message);
        w.WriteStartObject("source");
        w.WriteString("component", "crik");
        if (_pod.Node is { } node)
        {
            w.WriteString("host", node);
        }
        w.WriteEndObject();
        w.WriteString("reportingComponent", "crik");
        w.WriteString("reportingInstance", _pod.Name);
        w.WriteString("firstTimestamp", Timestamp(at));
        w.WriteString("lastTimestamp", Timestamp(at));
        w.WriteNumber("count", 1);
    });

    private static string SeriesJson(int count, DateTimeOffset at) => Json(w =>
    {
        w.WriteNumber("count", count);
        w.WriteString("lastTimestamp", Timestamp(at));
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

    private static string Json(Action<Utf8JsonWriter> body)
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
