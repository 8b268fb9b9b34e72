using System.Diagnostics;
using System.Globalization;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Where the tests make crik late to handle a userfaultfd event it has read (CRIK_TEST_EVENT_DELAY_MS: a pause between
/// the read and crik's handling of a fork, remap or unmap). The kernel lets the process go on as the event is read, so
/// whatever crik looks at in /proc for it may have changed by then: the tests make that happen every time. Debug builds
/// only: the calls are compiled out of the shipped binary.
/// </summary>
internal static class EventDelay
{
    public const string Variable = "CRIK_TEST_EVENT_DELAY_MS";

    [Conditional("DEBUG")]
    public static void Wait()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable(Variable), NumberStyles.None, CultureInfo.InvariantCulture, out int pause) && pause > 0)
        {
            Thread.Sleep(pause);
        }
    }
}
