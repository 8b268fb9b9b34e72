using System.Globalization;

namespace Crik.Cli.Criu;

/// <summary>
/// The moments a dump's log tells, read from its first lines. Pure, so it is unit-tested.
/// </summary>
/// <param name="LogStart">Where the log's timestamps start on CLOCK_MONOTONIC, in nanoseconds (criu-patches/0013 logs it);
/// null from a CRIU without the patch.</param>
/// <param name="Seized">The timestamp of CRIU's seize of the app's first process (its first "Seized task" line); null when the
/// log has none.</param>
internal sealed record DumpLogTimes(long? LogStart, TimeSpan? Seized)
{
    private const string StartSays = "Log timestamps count from CLOCK_MONOTONIC ";
    private const string SeizeSays = "Seized task ";

    /// <summary>What <paramref name="lines"/> tell, read no further than the first seize (the log's start comes before it).</summary>
    public static DumpLogTimes Read(IEnumerable<string> lines)
    {
        long? start = null;
        foreach (string line in lines)
        {
            if (Said(line, StartSays) is { } told && ParseSeconds(told, out long nanoseconds))
            {
                start = nanoseconds;
            }
            else if (Said(line, SeizeSays) is not null && Timestamp(line) is { } seized)
            {
                return new DumpLogTimes(start, TimeSpan.FromTicks(seized / 100));
            }
        }
        return new DumpLogTimes(start, null);
    }

    /// <summary>The seize on CLOCK_MONOTONIC in nanoseconds, when the log tells both where it starts and the seize.</summary>
    public long? SeizedAt => LogStart is { } start && Seized is { } seized ? start + seized.Ticks * 100 : null;

    /// <summary>What follows <paramref name="says"/> right after the line's timestamp, or null when the line does not say it.</summary>
    private static string? Said(string line, string says)
    {
        int text = line.IndexOf(") ", StringComparison.Ordinal);
        return text > 0 && line.AsSpan(text + 2).StartsWith(says, StringComparison.Ordinal) ? line[(text + 2 + says.Length)..] : null;
    }

    /// <summary>
    /// The line's timestamp, "(SS.UUUUUU)", in nanoseconds; null when it has none. Past 99 s CRIU's ')' takes the place of the
    /// last digit, which is then lost.
    /// </summary>
    private static long? Timestamp(string line)
    {
        int end = line.IndexOf(')', StringComparison.Ordinal);
        return line.StartsWith('(') && end > 1 && ParseSeconds(line[1..end], out long nanoseconds) ? nanoseconds : null;
    }

    /// <summary>"S.F" seconds, F of up to nine digits, in nanoseconds.</summary>
    private static bool ParseSeconds(string text, out long nanoseconds)
    {
        nanoseconds = 0;
        string[] parts = text.Trim().Split('.');
        if (parts.Length != 2 || parts[1].Length is 0 or > 9 || !parts[1].All(char.IsAsciiDigit)
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long seconds) || seconds > long.MaxValue / 1_000_000_000 - 1)
        {
            return false;
        }
        nanoseconds = seconds * 1_000_000_000 + long.Parse(parts[1].PadRight(9, '0'), NumberStyles.None, CultureInfo.InvariantCulture);
        return true;
    }
}
