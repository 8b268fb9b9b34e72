using Crik.Shared.Kubernetes;
using Serilog;

namespace Crik.Cli.Observing;

/// <summary>
/// The Pod's crik/last-checkpoint and crik/last-restore annotations: what outlives the Events' hour. The values not
/// yet patched are patched together, at most once per write interval, the latest value winning; a refusal is said once
/// and ends them, while the Events go on.
/// </summary>
internal sealed class PodAnnotations(PodResource pod, ILogger log, TimeSpan writeInterval)
{
    public const string LastCheckpointAnnotation = "crik/last-checkpoint";
    public const string LastRestoreAnnotation = "crik/last-restore";

    private readonly Dictionary<string, string> _unsent = [];
    private DateTimeOffset _annotated = DateTimeOffset.MinValue;
    private bool _refused;

    /// <summary>A moment's message replaces the value of its annotation not yet patched.</summary>
    public void Take(Happening happening, string message)
    {
        if (Annotation(happening) is { } annotation && !_refused)
        {
            _unsent[annotation] = message;
        }
    }

    /// <summary>When the values waiting may be patched; null when none wait.</summary>
    public DateTimeOffset? Due => _unsent.Count > 0 && !_refused ? _annotated + writeInterval : null;

    /// <summary>Values wait and their interval has passed; at exit, whenever values wait.</summary>
    public bool IsDue(DateTimeOffset now, bool atExit) => _unsent.Count > 0 && (atExit || now - _annotated >= writeInterval);

    /// <summary>The last checkpoint and the last restore, on the Pod itself, in one patch.</summary>
    public async Task PatchAsync(CancellationToken cancellationToken)
    {
        if (_refused)
        {
            _unsent.Clear();
            return;
        }
        var values = _unsent.ToList();
        _unsent.Clear();
        _annotated = DateTimeOffset.UtcNow;
        string json = PodEventWriter.Json(w =>
        {
            w.WriteStartObject("metadata");
            w.WriteStartObject("annotations");
            foreach (var (annotation, value) in values)
            {
                w.WriteString(annotation, value);
            }
            w.WriteEndObject();
            w.WriteEndObject();
        });
        try
        {
            await pod.Api.SendJsonAsync(HttpMethod.Patch, pod.PodUrl, json, KubeApiClient.MergePatch, cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException e) when (e.IsAuthProblem)
        {
            // A Role without patch on pods still gets its Events.
            _refused = true;
            log.Warning("crik cannot annotate its Pod ({Status}: {Error}); its Events are still written. Grant patch on pods in {Namespace} "
                + "for the crik/last-checkpoint and crik/last-restore annotations", (int)e.Status, e.Message, pod.Identity.Namespace);
        }
    }

    private static string? Annotation(Happening happening) => happening switch
    {
        Happening.CheckpointCommitted => LastCheckpointAnnotation,
        Happening.Restored or Happening.StartedFresh => LastRestoreAnnotation,
        _ => null,
    };
}
