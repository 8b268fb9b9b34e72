namespace Crik.Cli.Logging;

internal enum LogFormat
{
    Text,
    Json,
}
