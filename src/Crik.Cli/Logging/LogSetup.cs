// Logging/ owns crik's log lines and messages on fds 1 and 2, without System.Console.
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;
using Serilog.Formatting.Json;

namespace Crik.Cli.Logging;

/// <summary>Builds crik's logger: human-readable lines by default, JSON on request, always on stderr.</summary>
internal static class LogSetup
{
    private const string TextTemplate = "{Timestamp:yyyy-MM-ddTHH:mm:ss.fffzzz} {Level:u3} crik: {Message:lj}{NewLine}";

    public static Logger Create(LogEventLevel level, LogFormat format)
    {
        ITextFormatter formatter = format == LogFormat.Json
            ? new JsonFormatter(renderMessage: true)
            : new MessageTemplateTextFormatter(TextTemplate, System.Globalization.CultureInfo.InvariantCulture);
        return new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .WriteTo.Sink(new StandardErrorSink(formatter, text: format != LogFormat.Json))
            .CreateLogger();
    }

    /// <summary>Parses debug, info, warning or error (and Serilog's own names).</summary>
    public static bool TryParseLevel(string text, out LogEventLevel level)
    {
        switch (text.ToLowerInvariant())
        {
            case "debug": level = LogEventLevel.Debug; return true;
            case "info" or "information": level = LogEventLevel.Information; return true;
            case "warn" or "warning": level = LogEventLevel.Warning; return true;
            case "error": level = LogEventLevel.Error; return true;
            default: level = LogEventLevel.Information; return false;
        }
    }
}
