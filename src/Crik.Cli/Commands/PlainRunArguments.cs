namespace Crik.Cli.Commands;

/// <summary>
/// Reads the usual shape of <c>crik run</c> without System.CommandLine: each of --config, --log-level
/// and --log-format at most once, with a plain value, then <c>--</c> and the app. Building the full
/// command line costs more than the rest of crik's own start-up (its help texts come from resources,
/// found through reflection). Every other argument list, including help and every mistake, is left to
/// <see cref="CrikCommandLine"/>; for the lists accepted here both give the same <see cref="RunOptions"/>.
/// </summary>
internal static class PlainRunArguments
{
    /// <summary>The options, or null when <paramref name="args"/> is not of the plain shape.</summary>
    public static RunOptions? TryRead(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0] != "run")
        {
            return null;
        }
        string? configPath = null;
        string? logLevel = null;
        string? logFormat = null;
        for (int i = 1; i < args.Count; i += 2)
        {
            if (args[i] == "--")
            {
                return i + 1 < args.Count
                    ? RunOptions.From(args.Skip(i + 1).ToArray(), commandAfterSeparator: true, configPath, logLevel ?? RunOptions.DefaultLogLevel, logFormat ?? RunOptions.DefaultLogFormat)
                    : null;
            }
            if (i + 1 == args.Count || !IsPlainValue(args[i + 1]))
            {
                return null;
            }
            string value = args[i + 1];
            switch (args[i])
            {
                case "--config" when configPath is null:
                    configPath = value;
                    break;
                case "--log-level" when logLevel is null && RunOptions.LogLevels.Contains(value):
                    logLevel = value;
                    break;
                case "--log-format" when logFormat is null && RunOptions.LogFormats.Contains(value):
                    logFormat = value;
                    break;
                default:
                    return null;
            }
        }
        return null;
    }

    /// <summary>
    /// A value no parser could take for anything else: not empty, not an option, a help alias, a
    /// subcommand, a directive or a response file.
    /// </summary>
    private static bool IsPlainValue(string value) =>
        value.Length > 0
        && value[0] is not ('-' or '[' or '@')
        && value is not ("/?" or "/h" or "run" or "check" or "checkpoint" or "images");
}
