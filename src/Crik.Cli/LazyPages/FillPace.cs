using System.Diagnostics;
using System.Globalization;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Where the tests slow the background fill down (CRIK_TEST_FILL_PACE_MS: a pause before each chunk it
/// fills), so that a checkpoint surely comes while memory from a volume still arrives. Debug builds only:
/// the calls are compiled out of the shipped binary.
/// </summary>
internal static class FillPace
{
    public const string Variable = "CRIK_TEST_FILL_PACE_MS";

    [Conditional("DEBUG")]
    public static void Wait()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable(Variable), NumberStyles.None, CultureInfo.InvariantCulture, out int pause) && pause > 0)
        {
            Thread.Sleep(pause);
        }
    }
}
