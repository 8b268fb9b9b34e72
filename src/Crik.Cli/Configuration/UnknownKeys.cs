namespace Crik.Cli.Configuration;

/// <summary>
/// A key crik does not know. One close to a key it knows (the same but for case, or two letters off) is a typo, refused: ignored,
/// a misspelt imageDir would turn checkpointing off without a word but a warning, and the app's work would be lost at the next
/// SIGTERM. Any other is a warning, as a key of a newer crik's would be.
/// </summary>
internal static class UnknownKeys
{
    /// <summary>The warning for a key unlike any crik knows; throws <see cref="ConfigException"/> for one it takes for a typo.</summary>
    public static string WarningUnlessATypo(string file, int line, string key)
    {
        string? meant = ConfigKeys.All.FirstOrDefault(k => k.Equals(key, StringComparison.OrdinalIgnoreCase))
            ?? ConfigKeys.All.FirstOrDefault(k => EditDistance(k.ToLowerInvariant(), key.ToLowerInvariant()) <= 2);
        if (meant is not null)
        {
            throw new ConfigException($"{file}:{line}: unknown key \"{key}\": did you mean \"{meant}\"? (a key this close to one crik knows is taken for a typo)");
        }
        return $"{file}:{line}: unknown key \"{key}\" is ignored (known keys: {string.Join(", ", ConfigKeys.All)})";
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
