using System.Diagnostics;
using System.Globalization;

namespace Crik.Cli.Interop;

/// <summary>
/// Where the tests widen the moment a thread of the app holds crik's registers, before crik's call runs in it
/// (CRIK_TEST_IN_APP_CALL_MS), so that crik is surely killed there. Debug builds only: compiled out of the shipped binary.
/// </summary>
internal static class InAppCallPause
{
    public const string Variable = "CRIK_TEST_IN_APP_CALL_MS";

    [Conditional("DEBUG")]
    public static void Wait()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable(Variable), NumberStyles.None, CultureInfo.InvariantCulture, out int pause) && pause > 0)
        {
            Thread.Sleep(pause);
        }
    }
}
