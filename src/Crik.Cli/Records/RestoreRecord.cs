using System.Globalization;

namespace Crik.Cli.Records;

/// <summary>
/// One restore of a generation, as recorded under <c>restores/</c> before CRIU ran: <c>000004-002</c>
/// (when and on which host) and, once the restored app lived on, <c>000004-002-ran</c>; when its memory,
/// restored lazily, could not all be brought in, <c>000004-002-eager</c>.
/// </summary>
/// <param name="At">When it was recorded; null when the record cannot be read.</param>
/// <param name="Host">The pod (host name) that restored it.</param>
/// <param name="Survived">The restored app ran for restoreProbation, or was checkpointed again.</param>
/// <param name="LoadFailed">It was restored lazily and its memory could not all be brought in: the generation is restored eagerly from then on.</param>
internal sealed record RestoreRecord(int Number, DateTimeOffset? At, string Host, bool Survived, bool LoadFailed = false)
{
    private const string SurvivedSuffix = "-ran";
    private const string LoadFailedSuffix = "-eager";

    public static string MarkName(long generation, int number) =>
        $"{generation.ToString("D6", CultureInfo.InvariantCulture)}-{number.ToString("D3", CultureInfo.InvariantCulture)}";

    public static string SurvivedName(long generation, int number) => MarkName(generation, number) + SurvivedSuffix;

    public static string LoadFailedName(long generation, int number) => MarkName(generation, number) + LoadFailedSuffix;

    /// <summary>What a mark holds: the time and the host that wrote it.</summary>
    public static string Describe(DateTimeOffset at) =>
        $"{at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)} {Environment.MachineName}\n";

    /// <summary>The restores of <paramref name="generation"/> among <paramref name="marks"/>, oldest first.</summary>
    public static List<RestoreRecord> Of(long generation, IEnumerable<string> marks, Func<string, string?> read)
    {
        var names = marks.ToHashSet(StringComparer.Ordinal);
        var found = new List<RestoreRecord>();
        foreach (string name in names)
        {
            if (Parse(name) is not ({ } markGeneration, { } number) || markGeneration != generation || name != MarkName(generation, number))
            {
                continue;
            }
            string[] content = (read(name) ?? "").Trim().Split(' ', 2);
            DateTimeOffset? at = DateTimeOffset.TryParse(content[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset parsed)
                ? parsed : null;
            found.Add(new RestoreRecord(number, at, content.Length > 1 ? content[1] : "", names.Contains(SurvivedName(generation, number)),
                names.Contains(LoadFailedName(generation, number))));
        }
        return found.OrderBy(r => r.Number).ToList();
    }

    /// <summary>The generation a mark (or its survival mark) is of, and its number; nulls when the name is not a mark.</summary>
    public static (long? Generation, int? Number) Parse(string name)
    {
        string[] parts = name.Split('-');
        return parts.Length is 2 or 3 && (parts.Length == 2 || "-" + parts[2] is SurvivedSuffix or LoadFailedSuffix)
            && parts[0].Length is >= 6 and <= 15 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long generation)
            && parts[1].Length is >= 3 and <= 9 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int number)
                ? (generation, number) : (null, null);
    }
}
