using System.Diagnostics;
using System.Globalization;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Where the tests slow the background fill down (CRIK_TEST_FILL_PACE_MS: a pause before each chunk it
/// fills), so that a checkpoint comes while memory from a volume still arrives, or hold it
/// (CRIK_TEST_FILL_HOLD_FILE: no chunk is filled while that file exists), so that a fault the test
/// sets up surely meets the fill however fast the store answers; deleting the file lets the fill go on.
/// Debug builds only: the calls are compiled out of the shipped binary.
/// </summary>
internal static class FillPace
{
    public const string Variable = "CRIK_TEST_FILL_PACE_MS";
    public const string HoldVariable = "CRIK_TEST_FILL_HOLD_FILE";

    [Conditional("DEBUG")]
    public static void Wait()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable(Variable), NumberStyles.None, CultureInfo.InvariantCulture, out int pause) && pause > 0)
        {
            Thread.Sleep(pause);
        }
        if (Environment.GetEnvironmentVariable(HoldVariable) is { Length: > 0 } hold)
        {
            while (File.Exists(hold))
            {
                Thread.Sleep(10);
            }
        }
    }
}
