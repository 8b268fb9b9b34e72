using System.Globalization;
using System.Text.RegularExpressions;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.WriteTracking;

/// <summary>
/// apps/page-order-app.c, which rewrites its pages in a fixed order, each with a number one higher than the last, and checks
/// that each page holds what it last wrote there: a restored page that came from the wrong source shows as "broken".
/// </summary>
internal static class PageOrderApp
{
    /// <summary>The seam pauses that widen the windows in which the app writes between a copy's scan and its read, and between the copy and the freeze.</summary>
    public static readonly IReadOnlyDictionary<string, string> WidenedWindows = new Dictionary<string, string>
    {
        ["CRIK_TEST_COPY_READ_PAUSE_MS"] = "200",
        ["CRIK_TEST_COPY_FREEZE_PAUSE_MS"] = "300",
    };

    public static string Build(TempDirectory build) => CompiledApp.Build("page-order-app.c", Path.Combine(build.Path, "page-order-app"), "-pthread");

    /// <summary>The restored app goes on until the second round it finishes, which has checked every page; none broken.</summary>
    public static void ChecksEveryPage(CrikRun restored)
    {
        restored.WaitForLine(_ => CleanRounds(restored) >= 2 || restored.Stdout.Any(IsBroken), TimeSpan.FromSeconds(60));
        AssertNothingBroken(restored);
    }

    public static void AssertNothingBroken(CrikRun pod) => Assert.False(pod.Stdout.Any(IsBroken), pod.Transcript);

    /// <summary>What the app's writer rewrites in <paramref name="seconds"/> at <paramref name="pagesPerSecond"/>, in MiB.</summary>
    public static double MebibytesWrittenIn(double seconds, string pagesPerSecond) =>
        seconds * long.Parse(pagesPerSecond, CultureInfo.InvariantCulture) * 4096 / (1024.0 * 1024);

    /// <summary>The size that follows <paramref name="before"/> in a log line ("812 KiB", "12.3 MiB"), in MiB.</summary>
    public static double Mebibytes(string line, string before) => Bytes(line, before) / (1024.0 * 1024);

    /// <summary>The size that follows <paramref name="before"/> in a log line ("812 KiB", "12.3 MiB"), in bytes.</summary>
    public static long Bytes(string line, string before)
    {
        Match size = Regex.Match(line, Regex.Escape(before) + @"([\d.]+) (B|KiB|MiB|GiB)\b");
        Assert.True(size.Success, line);
        double value = double.Parse(size.Groups[1].Value, CultureInfo.InvariantCulture);
        int power = Array.IndexOf(["B", "KiB", "MiB", "GiB"], size.Groups[2].Value);
        return (long)(value * Math.Pow(1024, power));
    }

    private static bool IsBroken(string line) => line.StartsWith("broken", StringComparison.Ordinal);

    private static int CleanRounds(CrikRun pod) =>
        pod.Stdout.Count(l => l.StartsWith("round ", StringComparison.Ordinal) && l.EndsWith(" clean", StringComparison.Ordinal));
}
