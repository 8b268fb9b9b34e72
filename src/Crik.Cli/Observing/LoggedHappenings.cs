using Serilog;
using Serilog.Events;

namespace Crik.Cli.Observing;

/// <summary>
/// Says a moment in the log and publishes it to <see cref="Happenings"/> in one call, so that what the log says
/// and what the pod's Events and the metrics see cannot drift apart: <c>log.Error(new Happening.CheckpointFailed(…),
/// "Checkpoint {Generation} failed …", generation)</c>. The line is written first, so a listener that fails or is
/// slow never hides it. A line that is a moment only sometimes takes null then, and publishes nothing. Outside
/// Observing/, this is the only way to publish (<c>Observing/OneCallTests</c> checks it).
/// </summary>
internal static class LoggedHappenings
{
    public static void Information(this ILogger log, Happening? happening, string template, params object?[] values) =>
        Say(log, LogEventLevel.Information, happening, template, values);

    public static void Warning(this ILogger log, Happening? happening, string template, params object?[] values) =>
        Say(log, LogEventLevel.Warning, happening, template, values);

    public static void Error(this ILogger log, Happening? happening, string template, params object?[] values) =>
        Say(log, LogEventLevel.Error, happening, template, values);

    /// <summary>
    /// Publishes a moment that has no line of its own where it is published: its line is written elsewhere (each
    /// caller says where, and why there), or it has none.
    /// </summary>
    public static void WithoutLine(Happening happening) => Happenings.Publish(happening);

    private static void Say(ILogger log, LogEventLevel level, Happening? happening, string template, object?[] values)
    {
        log.Write(level, template, values);
        if (happening is not null)
        {
            Happenings.Publish(happening);
        }
    }
}
