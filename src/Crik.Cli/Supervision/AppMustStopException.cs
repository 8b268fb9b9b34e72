namespace Crik.Cli.Supervision;

/// <summary>
/// This copy of the app must not run on (its lease is lost, or another crik committed): abandons what the supervisor
/// was doing, and the supervisor kills the app and exits with its own failure.
/// </summary>
internal sealed class AppMustStopException : Exception;
