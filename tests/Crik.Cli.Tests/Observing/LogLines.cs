using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Crik.Cli.Tests.Observing;

/// <summary>A logger whose lines the test can read.</summary>
internal sealed class LogLines : ILogEventSink
{
    private readonly List<string> _lines = [];

    public LogLines() => Logger = new LoggerConfiguration().MinimumLevel.Information().WriteTo.Sink(this).CreateLogger();

    public ILogger Logger { get; }

    public List<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public void Emit(LogEvent logEvent)
    {
        lock (_lines)
        {
            _lines.Add($"{logEvent.Level}: {logEvent.RenderMessage()}");
        }
    }
}
