using System.Diagnostics;
using System.Globalization;
using Serilog;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// Where the tests widen the moment between a checkpoint's glance at the arriving memory and CRIU's freeze
/// (CRIK_TEST_AFTER_GLANCE_MS: a pause once the checkpoint chose to take the memory as it is), so that an app
/// surely forks in it. Debug builds only: the calls are compiled out of the shipped binary.
/// </summary>
internal static class GlancePause
{
    public const string Variable = "CRIK_TEST_AFTER_GLANCE_MS";

    [Conditional("DEBUG")]
    public static void Wait(ILogger log)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable(Variable), NumberStyles.None, CultureInfo.InvariantCulture, out int pause) && pause > 0)
        {
            log.Information("Pausing {Milliseconds} ms between the glance at the arriving memory and the dump ({Variable})", pause, Variable);
            Thread.Sleep(pause);
        }
    }
}
