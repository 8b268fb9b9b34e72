using System.Globalization;

namespace Crik.Cli.ImageStore;

/// <summary>
/// The names in the image directory. Only the store uses them; callers get handles and paths from it.
/// </summary>
internal static class StoreLayout
{
    public const string CommittedPrefix = "checkpoint-";
    public const string StagingPrefix = ".staging-";
    public const string LogDir = "logs";
    public const string PacksDir = "packs";
    public const string PackSuffix = ".pack";
    public const string SetAsideDir = "set-aside";
    public const string RetiredDir = "retired";
    public const string LockFile = ".lock";
    public const string SetAsideReasonFile = "SET-ASIDE-REASON.txt";
    public const string RestorePidFile = "restore.pid";

    /// <summary>How many CRIU log files logs/ keeps, newest first.</summary>
    public const int KeepLogFiles = 20;

    public static string CommittedName(long generation) => CommittedPrefix + Number(generation);

    /// <summary>The pack file holding the chunks generation <paramref name="generation"/> wrote: packs/000007.pack.</summary>
    public static string PackName(long generation) => Number(generation) + PackSuffix;

    /// <summary>
    /// The generation of a pack file's name, or 0 when it is not one. Numbers have at least six digits
    /// (packs/1000000.pack follows packs/999999.pack) and as many as generation names allow; a name
    /// <see cref="PackName"/> would not give (packs/0000007.pack) is not a pack.
    /// </summary>
    public static long ParsePackGeneration(string name)
    {
        if (!name.EndsWith(PackSuffix, StringComparison.Ordinal))
        {
            return 0;
        }
        string digits = name[..^PackSuffix.Length];
        return digits.Length is >= 6 and <= 15 && digits.All(char.IsAsciiDigit)
            && long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture) is var generation && PackName(generation) == name
                ? generation : 0;
    }

    public static string StagingName(long generation) => $"{StagingPrefix}{Number(generation)}-{Guid.NewGuid().ToString("N")[..8]}";

    public static string DumpLogName(long generation) => $"dump-{Number(generation)}.log";

    public static string RestoreLogName(long generation) =>
        $"restore-{Number(generation)}-{DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}.log";

    public static string SetAsideName(string name, int attempt)
    {
        string stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        return $"{name.TrimStart('.')}-{stamp}" + (attempt > 1 ? $"-{attempt}" : "");
    }

    public static bool IsCommitted(string name) => name.StartsWith(CommittedPrefix, StringComparison.Ordinal) && ParseGeneration(name) > 0;

    public static bool IsStaging(string name) => name.StartsWith(StagingPrefix, StringComparison.Ordinal);

    /// <summary>The generation in a name such as checkpoint-000007, .staging-000007-ab12 or checkpoint-000007-2026...; 0 if none.</summary>
    public static long ParseGeneration(string name)
    {
        string rest = name.StartsWith(CommittedPrefix, StringComparison.Ordinal) ? name[CommittedPrefix.Length..]
            : name.StartsWith(StagingPrefix, StringComparison.Ordinal) ? name[StagingPrefix.Length..]
            : name.StartsWith(StagingPrefix[1..], StringComparison.Ordinal) ? name[(StagingPrefix.Length - 1)..]
            : "";
        string digits = new(rest.TakeWhile(char.IsAsciiDigit).ToArray());
        return digits.Length <= 15 && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long generation) ? generation : 0;
    }

    private static string Number(long generation) => generation.ToString("D6", CultureInfo.InvariantCulture);
}
