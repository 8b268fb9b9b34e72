using Crik.Cli.Logging;
using Serilog.Events;

namespace Crik.Cli.Commands;

/// <summary>The parsed options of <c>crik run</c>.</summary>
internal sealed record RunOptions(IReadOnlyList<string> Command, string? ConfigPath, LogEventLevel LogLevel, LogFormat LogFormat);
