using Crik.Cli.Observing;

namespace Crik.Cli.Restoring;

/// <summary>
/// A restore that failed on its checkpoint, which is set aside: the line that says so, and why the app starts fresh should no
/// older checkpoint be left to restore.
/// </summary>
internal sealed record SetAsideRestore(string Message, string WhyFresh, Happening.RestoreFailed Failed);
