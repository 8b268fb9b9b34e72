namespace Crik.Cli.ImageStore;

/// <summary>
/// Another crik committed the generation this one was about to commit: it runs the app, or did. This
/// crik's app must not run on (the supervisor kills it); resuming it would run two copies.
/// </summary>
internal sealed class SupersededException(string message) : IOException(message);
