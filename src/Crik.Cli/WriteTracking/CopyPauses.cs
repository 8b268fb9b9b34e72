using System.Diagnostics;
using System.Globalization;

namespace Crik.Cli.WriteTracking;

/// <summary>
/// Where the tests widen the windows in which the app writes while crik copies what it wrote (Debug builds only: compiled
/// out of the shipped binary): after the scan that protects the pages again and before they are read
/// (CRIK_TEST_COPY_READ_PAUSE_MS), and after the copy and before CRIU freezes the app (CRIK_TEST_COPY_FREEZE_PAUSE_MS).
/// </summary>
internal static class CopyPauses
{
    public const string ReadVariable = "CRIK_TEST_COPY_READ_PAUSE_MS";
    public const string FreezeVariable = "CRIK_TEST_COPY_FREEZE_PAUSE_MS";

    [Conditional("DEBUG")]
    public static void BeforeRead() => Pause(ReadVariable);

    [Conditional("DEBUG")]
    public static void BeforeFreeze() => Pause(FreezeVariable);

    private static void Pause(string variable)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.None, CultureInfo.InvariantCulture, out int pause) && pause > 0)
        {
            Thread.Sleep(pause);
        }
    }
}
