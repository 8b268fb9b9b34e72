namespace Crik.Cli.Criu;

/// <summary>
/// What a dump's log says of where CRIU took the app's areas' flags from (criu-patches/0004): its BPF iterator, or
/// /proc/PID/smaps, whose walk of every page keeps the app frozen longer. Pure, so it is unit-tested.
/// </summary>
internal static class AreaFlagsLog
{
    private const string Prefix = "vma-flags: ";

    /// <summary>Why CRIU read some of the app's areas' flags from smaps (the line its patch logs before it says so), or null when it read none there.</summary>
    public static string? WhyFromSmaps(IEnumerable<string> logLines)
    {
        string? reason = null;
        foreach (string line in logLines)
        {
            int at = line.IndexOf(Prefix, StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }
            string said = line[(at + Prefix.Length)..].Trim();
            if (said.StartsWith("areas' flags ", StringComparison.Ordinal) && said.EndsWith(" come from smaps", StringComparison.Ordinal))
            {
                return reason ?? said;
            }
            reason = said;
        }
        return null;
    }
}
