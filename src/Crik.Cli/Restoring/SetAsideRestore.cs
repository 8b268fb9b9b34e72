using Crik.Cli.Observing;

namespace Crik.Cli.Restoring;

/// <summary>
/// A restore that failed on its checkpoint, which is set aside: the line that says so, why the app starts fresh should no
/// older checkpoint be left to restore, and whether the checkpoint's saved files were put back at the app's paths first.
/// </summary>
internal sealed record SetAsideRestore(string Message, string WhyFresh, Happening.RestoreFailed Failed, bool FilesPutBack);
