using System.Globalization;
using System.Text.RegularExpressions;

namespace Crik.Cli.Configuration;

/// <summary>
/// Parses durations as Go and Kubernetes write them ("25s", "1m30s", "500ms", "1.5s"); a bare number
/// is seconds. Never overflows: a duration longer than <see cref="TimeSpan.MaxValue"/> reads as
/// <see cref="TimeSpan.MaxValue"/>, which every range check then rejects.
/// </summary>
internal static partial class DurationParser
{
    [GeneratedRegex(@"^(?:(\d+(?:\.\d+)?)(h|ms|m|s))+$")]
    private static partial Regex Whole();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(h|ms|m|s)")]
    private static partial Regex Part();

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        text = text.Trim();
        // "NaN" and "Infinity" parse whatever the styles say; they are no duration.
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double bare) && double.IsFinite(bare))
        {
            duration = FromSeconds(bare);
            return true;
        }
        if (!Whole().IsMatch(text))
        {
            return false;
        }
        double seconds = 0;
        foreach (Match match in Part().Matches(text))
        {
            double value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            seconds += match.Groups[2].Value switch
            {
                "h" => value * 3600,
                "m" => value * 60,
                "s" => value,
                _ => value / 1000,
            };
        }
        duration = FromSeconds(seconds);
        return true;
    }

    private static TimeSpan FromSeconds(double seconds) =>
        double.IsFinite(seconds) && seconds < TimeSpan.MaxValue.TotalSeconds
            ? TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond))
            : TimeSpan.MaxValue;
}
