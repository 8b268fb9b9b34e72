using System.Net;

namespace Crik.NodeStateServer.Cli;

internal enum LogFormat { Text, Json }

/// <summary>Everything the command line decides, already validated.</summary>
internal sealed record ServerOptions
{
    public const int DefaultPort = 9376;

    public int Port { get; init; } = DefaultPort;
    public IPAddress Bind { get; init; } = IPAddress.Any;
    public string? KubeconfigPath { get; init; }
    public string? RulesPath { get; init; }
    public LogLevel LogLevel { get; init; } = LogLevel.Information;
    public LogFormat LogFormat { get; init; } = LogFormat.Text;
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan WatchSilence { get; init; } = Sync.WatcherSettings.DefaultSilenceLimit;
    public TimeSpan GoingAwayKept { get; init; } = Sync.WatcherSettings.DefaultGoingAwayKept;
    public int MaxConnections { get; init; } = Http.ServerLimits.DefaultMaxConnections;
    public bool ShowHelp { get; init; }
}
