using System.Globalization;

namespace Crik.Cli.Records;

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
    public const string RestoresDir = "restores";
    public const string LockFile = ".lock";
    public const string SetAsideReasonFile = "SET-ASIDE-REASON.txt";
    public const string RestorePidFile = "restore.pid";

    /// <summary>Where a generation keeps the files of additionalPaths (sealed into chunks when encrypted).</summary>
    public const string ExtraFilesDir = "extra-files";

    /// <summary>
    /// The mark (restores/finished-000007) that the app ended on its own after generation 7: every
    /// generation up to it counts as retired, wherever a crash left it. Written before any generation moves.
    /// </summary>
    public const string FinishedMarkPrefix = "finished-";

    /// <summary>crik's directories that a backend listing one directory at a time (a volume) lists with the image directory, besides logs/.</summary>
    public static readonly string[] ListedDirs = [RetiredDir, SetAsideDir, PacksDir, RestoresDir];

    /// <summary>How many CRIU log files logs/ keeps, newest first.</summary>
    public const int KeepLogFiles = 20;

    public static string CommittedName(long generation) => CommittedPrefix + Number(generation);

    /// <summary>The pack file holding the chunks generation <paramref name="generation"/> wrote: packs/000007.pack.</summary>
    public static string PackName(long generation) => Number(generation) + PackSuffix;

    /// <summary>The key of generation <paramref name="generation"/>'s pack: packs/000007.pack.</summary>
    public static string PackKey(long generation) => $"{PacksDir}/{PackName(generation)}";

    /// <summary>The generation of a pack file's name (packs/000007.pack), or 0 when it is not one.</summary>
    public static long ParsePackGeneration(string name) =>
        name.EndsWith(PackSuffix, StringComparison.Ordinal) ? ParseNumber(name.AsSpan(0, name.Length - PackSuffix.Length)) : 0;

    public static string StagingName(long generation) => $"{StagingPrefix}{Number(generation)}-{Guid.NewGuid().ToString("N")[..8]}";

    public static string DumpLogName(long generation) => $"dump-{Number(generation)}.log";

    public static string RestoreLogName(long generation) =>
        $"restore-{Number(generation)}-{DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}.log";

    /// <summary>The generation a CRIU log's name (dump-000007.log, restore-000007-….log, and their .out) is of, or 0 when it is not crik's.</summary>
    public static long ParseLogGeneration(string name)
    {
        string rest = name.StartsWith("dump-", StringComparison.Ordinal) ? name[5..] : name.StartsWith("restore-", StringComparison.Ordinal) ? name[8..] : "";
        int end = rest.IndexOfAny(['-', '.']);
        return end < 0 ? 0 : ParseNumber(rest.AsSpan(0, end));
    }

    public static string SetAsideName(string name, int attempt)
    {
        string stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        return $"{name.TrimStart('.')}-{stamp}" + (attempt > 1 ? $"-{attempt}" : "");
    }

    /// <summary>Where a restore mark or finished mark of this name is: restores/NAME.</summary>
    public static string MarkPath(string name) => $"{RestoresDir}/{name}";

    public static string FinishedMarkName(long generation) => FinishedMarkPrefix + Number(generation);

    /// <summary>The generation a finished mark's name covers up to, or 0 when the name is not one.</summary>
    public static long ParseFinishedMark(string name) =>
        name.StartsWith(FinishedMarkPrefix, StringComparison.Ordinal) ? ParseNumber(name.AsSpan(FinishedMarkPrefix.Length)) : 0;

    /// <summary>
    /// Whether the name is a committed generation's, exactly (checkpoint-000007): a copy beside it (checkpoint-000007-bak, or one
    /// moved back from set-aside/) names no generation of its own, and taken for one it would hold its number's place forever.
    /// </summary>
    public static bool IsCommitted(string name) =>
        name.StartsWith(CommittedPrefix, StringComparison.Ordinal) && ParseGeneration(name) is > 0 and var generation && name == CommittedName(generation);

    public static bool IsStaging(string name) => name.StartsWith(StagingPrefix, StringComparison.Ordinal);

    /// <summary>The generation in a name such as checkpoint-000007, .staging-000007-ab12 or checkpoint-000007-2026...; 0 if none.</summary>
    public static long ParseGeneration(string name)
    {
        ReadOnlySpan<char> rest = name.StartsWith(CommittedPrefix, StringComparison.Ordinal) ? name.AsSpan(CommittedPrefix.Length)
            : name.StartsWith(StagingPrefix, StringComparison.Ordinal) ? name.AsSpan(StagingPrefix.Length)
            : name.StartsWith(StagingPrefix[1..], StringComparison.Ordinal) ? name.AsSpan(StagingPrefix.Length - 1)
            : [];
        int end = rest.IndexOf('-');
        return ParseNumber(end < 0 ? rest : rest[..end]);
    }

    /// <summary>
    /// A generation written as <see cref="Number"/> writes it, or 0. Numbers have at least six digits
    /// (1000000 follows 999999) and at most fifteen; any other spelling (0000007, 7, 12x) names nothing of ours.
    /// </summary>
    private static long ParseNumber(ReadOnlySpan<char> digits) =>
        digits.Length is >= 6 and <= 15 && !digits.ContainsAnyExceptInRange('0', '9')
            && long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture) is var generation && Number(generation).AsSpan().SequenceEqual(digits)
                ? generation : 0;

    private static string Number(long generation) => generation.ToString("D6", CultureInfo.InvariantCulture);
}
