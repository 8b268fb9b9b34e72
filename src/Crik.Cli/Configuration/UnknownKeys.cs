namespace Crik.Cli.Configuration;

/// <summary>The warning for a key crik does not know, with the key it most likely meant.</summary>
internal static class UnknownKeys
{
    public static string Warning(string file, int line, string key)
    {
        string? suggestion = ConfigKeys.All.FirstOrDefault(k => k.Equals(key, StringComparison.OrdinalIgnoreCase))
            ?? ConfigKeys.All.FirstOrDefault(k => EditDistance(k.ToLowerInvariant(), key.ToLowerInvariant()) <= 2);
        string hint = suggestion is null ? $"known keys: {string.Join(", ", ConfigKeys.All)}" : $"did you mean \"{suggestion}\"?";
        return $"{file}:{line}: unknown key \"{key}\" is ignored ({hint})";
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
