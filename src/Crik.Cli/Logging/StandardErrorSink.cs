using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Crik.Cli.Logging;

/// <summary>
/// Writes each event as one line on stderr. In text, a line break inside a message (an argument of the app's, a file name,
/// an error's text) is written as \n or \r, so that nothing crik logs can end its line early and pass for a line of its own.
/// </summary>
/// <param name="text">The lines are text, ended by a line break (JSON escapes its own).</param>
internal sealed class StandardErrorSink(ITextFormatter formatter, bool text) : ILogEventSink
{
    private readonly object _gate = new();

    public void Emit(LogEvent logEvent)
    {
        var rendered = new StringWriter();
        formatter.Format(logEvent, rendered);
        string line = rendered.ToString();
        if (text)
        {
            line = line.TrimEnd('\n').TrimEnd('\r').Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\n";
        }
        lock (_gate)
        {
            try
            {
                StandardStreams.Error.Write(line);
            }
            catch (IOException)
            {
                // stderr is gone (closed pipe): nothing useful left to do with a log line.
            }
        }
    }
}
