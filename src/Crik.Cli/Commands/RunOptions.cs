using Crik.Cli.Logging;
using Serilog.Events;

namespace Crik.Cli.Commands;

/// <summary>
/// The parsed options of <c>crik run</c>. <paramref name="CommandAfterSeparator"/>: every word of the command came after
/// <c>--</c>, so a first word that begins with '-' is the app's name, not a mistyped option of crik's.
/// </summary>
internal sealed record RunOptions(IReadOnlyList<string> Command, bool CommandAfterSeparator, string? ConfigPath, LogEventLevel LogLevel, LogFormat LogFormat)
{
    public const string DefaultLogLevel = "info";
    public const string DefaultLogFormat = "text";

    public static readonly string[] LogLevels = ["debug", "info", "warning", "error"];
    public static readonly string[] LogFormats = ["text", "json"];

    /// <summary>The options from their command-line text; <paramref name="logLevel"/> and <paramref name="logFormat"/> are already validated.</summary>
    public static RunOptions From(IReadOnlyList<string> command, bool commandAfterSeparator, string? configPath, string logLevel, string logFormat)
    {
        _ = LogSetup.TryParseLevel(logLevel, out LogEventLevel level);
        return new RunOptions(command, commandAfterSeparator, configPath, level, logFormat == "json" ? LogFormat.Json : LogFormat.Text);
    }
}
