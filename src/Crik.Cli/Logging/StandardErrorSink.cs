using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Crik.Cli.Logging;

/// <summary>Writes each event as one line on stderr.</summary>
internal sealed class StandardErrorSink(ITextFormatter formatter) : ILogEventSink
{
    private readonly object _gate = new();

    public void Emit(LogEvent logEvent)
    {
        var line = new StringWriter();
        formatter.Format(logEvent, line);
        lock (_gate)
        {
            try
            {
                StandardStreams.Error.Write(line.ToString());
            }
            catch (IOException)
            {
                // stderr is gone (closed pipe): nothing useful left to do with a log line.
            }
        }
    }
}
