using System.Diagnostics;
using System.Globalization;
using Crik.Cli.Timing;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Where the tests slow the background fill down (CRIK_TEST_FILL_PACE_MS: a pause before each chunk it
/// fills), so that a checkpoint comes while memory from a volume still arrives, or hold it
/// (CRIK_TEST_FILL_HOLD_FILE: no chunk is filled while that file exists), so that a fault the test
/// sets up surely meets the fill however fast the store answers; deleting the file lets the fill go on.
/// CRIK_TEST_COPY_HOLD_FILE holds the copy into the app of the last chunk the app misses the same way, once the chunk
/// is read, so that the app's memory comes all in only once the test says (while a checkpoint's dump has the app
/// stopped, say).
/// Debug builds only: the calls are compiled out of the shipped binary.
/// </summary>
internal static class FillPace
{
    public const string Variable = "CRIK_TEST_FILL_PACE_MS";
    public const string HoldVariable = "CRIK_TEST_FILL_HOLD_FILE";
    public const string CopyHoldVariable = "CRIK_TEST_COPY_HOLD_FILE";

    [Conditional("DEBUG")]
    public static void Wait()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable(Variable), NumberStyles.None, CultureInfo.InvariantCulture, out int pause) && pause > 0)
        {
            Thread.Sleep(pause);
        }
        if (TestDelay.HeldBy(HoldVariable) is { } hold)
        {
            TestDelay.WaitWhileExists(hold);
        }
    }

    /// <summary>
    /// Before a chunk read is copied into the app, when it is the last one the app misses (<paramref name="chunksMissing"/>
    /// says 1); a copy held says so on stderr, so that the test knows it is.
    /// </summary>
    [Conditional("DEBUG")]
    public static void WaitBeforeLastCopy(Func<int> chunksMissing)
    {
        if (TestDelay.HeldBy(CopyHoldVariable) is { } hold && chunksMissing() == 1)
        {
            Console.Error.WriteLine($"crik test: a copy waits while {CopyHoldVariable} exists");
            TestDelay.WaitWhileExists(hold);
        }
    }
}
