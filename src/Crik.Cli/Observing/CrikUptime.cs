using System.Diagnostics;

namespace Crik.Cli.Observing;

/// <summary>Time since crik started (first touched in Program.cs), for "the app runs N s after crik started".</summary>
internal static class CrikUptime
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    public static TimeSpan Elapsed => Clock.Elapsed;
}
