using System.Globalization;
using System.Net;

namespace Crik.NodeStateServer.Cli;

/// <summary>Parses <c>--flag value</c> and <c>--flag=value</c>; every mistake becomes a <see cref="UsageException"/>.</summary>
internal static class OptionsParser
{
    public const string Usage = """
        usage: node-state-server [flags]
          --port N                 port to listen on (default 9376)
          --bind ADDRESS           address to listen on (default 0.0.0.0)
          --kubeconfig PATH        kubeconfig file (default: $KUBECONFIG, else in-cluster configuration)
          --config PATH            shutdown rules file, YAML or JSON (default: built-in rules)
          --log-level LEVEL        debug|info|warning|error (default info)
          --log-format FORMAT      text|json (default text)
          --max-backoff-seconds N  longest wait between Kubernetes API retries (default 30)
          --watch-silence-seconds N
                                   a watch that sends no event or bookmark for N seconds is dropped and
                                   nodes are listed again; /readyz is 503 meanwhile (default 120)
          --going-away-kept-seconds N
                                   out of sync with the API, a node last seen going away is still answered
                                   so for N seconds after the API was last heard, then 503 (default 600)
          --max-connections N      concurrent HTTP connections served; at the cap a new one closes the
                                   connection idle longest (default 1000)
        """;

    public static ServerOptions Parse(IReadOnlyList<string> args)
    {
        var options = new ServerOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
                return options with { ShowHelp = true };
            if (!arg.StartsWith("--", StringComparison.Ordinal))
                throw new UsageException($"unexpected argument '{arg}' (flags start with --)");

            string name, value;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                name = arg[..eq];
                value = arg[(eq + 1)..];
            }
            else
            {
                name = arg;
                if (i + 1 >= args.Count)
                    throw new UsageException($"flag {name} needs a value");
                value = args[++i];
            }
            options = Apply(options, name, value);
        }
        return options;
    }

    private static ServerOptions Apply(ServerOptions options, string name, string value) => name switch
    {
        "--port" => options with { Port = ParsePort(value) },
        "--bind" => options with { Bind = ParseAddress(value) },
        "--kubeconfig" => options with { KubeconfigPath = NonEmpty(name, value) },
        "--config" => options with { RulesPath = NonEmpty(name, value) },
        "--log-level" => options with { LogLevel = ParseLevel(value) },
        "--log-format" => options with { LogFormat = ParseFormat(value) },
        "--max-backoff-seconds" => options with { MaxBackoff = ParseSeconds(name, value) },
        "--watch-silence-seconds" => options with { WatchSilence = ParseSeconds(name, value) },
        "--going-away-kept-seconds" => options with { GoingAwayKept = ParseSeconds(name, value) },
        "--max-connections" => options with { MaxConnections = ParseCount(name, value) },
        _ => throw new UsageException($"unknown flag {name} (see --help)"),
    };

    private static int ParsePort(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535
            ? port
            : throw new UsageException($"--port must be a number from 0 to 65535, got '{value}'");

    private static int ParseCount(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count is >= 1 and <= 1_000_000
            ? count
            : throw new UsageException($"{name} must be a whole number from 1 to 1000000, got '{value}'");

    private static IPAddress ParseAddress(string value) =>
        IPAddress.TryParse(value, out var address)
            ? address
            : throw new UsageException($"--bind must be an IP address, got '{value}'");

    private static string NonEmpty(string name, string value) =>
        value.Length > 0 ? value : throw new UsageException($"flag {name} needs a non-empty value");

    private static LogLevel ParseLevel(string value) => value.ToLowerInvariant() switch
    {
        "debug" => LogLevel.Debug,
        "info" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => throw new UsageException($"--log-level must be debug, info, warning or error, got '{value}'"),
    };

    private static LogFormat ParseFormat(string value) => value.ToLowerInvariant() switch
    {
        "text" => LogFormat.Text,
        "json" => LogFormat.Json,
        _ => throw new UsageException($"--log-format must be text or json, got '{value}'"),
    };

    private static TimeSpan ParseSeconds(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and <= 3600
            ? TimeSpan.FromSeconds(seconds)
            : throw new UsageException($"{name} must be a number of seconds between 0 and 3600, got '{value}'");
}
