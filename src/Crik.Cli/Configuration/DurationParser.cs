using System.Globalization;
using System.Text.RegularExpressions;

namespace Crik.Cli.Configuration;

/// <summary>
/// Parses durations as Go and Kubernetes write them ("25s", "1m30s", "500ms", "1.5s"); a bare number
/// is seconds.
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
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds))
        {
            duration = TimeSpan.FromSeconds(seconds);
            return true;
        }
        if (!Whole().IsMatch(text))
        {
            return false;
        }
        foreach (Match match in Part().Matches(text))
        {
            double value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            duration += match.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(value),
                "m" => TimeSpan.FromMinutes(value),
                "s" => TimeSpan.FromSeconds(value),
                _ => TimeSpan.FromMilliseconds(value),
            };
        }
        return true;
    }
}
