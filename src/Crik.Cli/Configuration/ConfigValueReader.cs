using System.Globalization;
using Crik.Shared.NodeState;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Crik.Cli.Configuration;

/// <summary>Reads one typed value, or throws a ConfigException naming file, line and key.</summary>
internal sealed partial class ConfigValueReader(string file)
{
    public string? AbsolutePath(string key, YamlNode node) => AbsolutePath(key, node, Scalar(key, node));

    /// <summary>The image directory: an absolute path, or an object storage address (s3://bucket/prefix).</summary>
    public string? ImageDir(string key, YamlNode node)
    {
        string? text = Scalar(key, node);
        if (text is not null && S3Address.IsS3(text))
        {
            try
            {
                return S3Address.Parse(text).ToString().TrimEnd('/');
            }
            catch (FormatException e)
            {
                throw Error(key, node, e.Message);
            }
        }
        if (text is not null && text.Contains("://", StringComparison.Ordinal))
        {
            throw Error(key, node, $"\"{text}\" is not a path or an s3:// address; give a volume's path (e.g. /var/lib/crik) or s3://bucket/prefix");
        }
        return AbsolutePath(key, node, text);
    }

    public List<string> AbsolutePaths(string key, YamlNode node)
    {
        if (IsNull(node))
        {
            return [];
        }
        if (node is not YamlSequenceNode sequence)
        {
            throw Error(key, node, "must be a list of absolute paths, e.g. [\"/root/.cache\"]");
        }
        return sequence.Children.Select(item => BelowRoot(key, item, AbsolutePath(key, item, Scalar(key, item))))
            .OfType<string>().ToList();
    }

    /// <summary>A path of the app's files to save or delete: / itself would be the whole container.</summary>
    private string? BelowRoot(string key, YamlNode node, string? path) =>
        path == "/" ? throw Error(key, node, "must name a file or directory below /, not / itself") : path;

    /// <summary>A program and its arguments as a list (no shell), or none.</summary>
    public List<string> Command(string key, YamlNode node)
    {
        const string Example = "must be a program and its arguments as a list, e.g. [\"/usr/local/bin/after-restore\", \"--quiet\"]";
        if (IsNull(node))
        {
            return [];
        }
        if (node is not YamlSequenceNode sequence || sequence.Children.Count == 0)
        {
            throw Error(key, node, Example);
        }
        List<string> command = sequence.Children.Select(item => Scalar(key, item) ?? "").ToList();
        return command[0].Length > 0 ? command : throw Error(key, node, Example + "; the program is empty");
    }

    public Uri? HttpUrl(string key, YamlNode node)
    {
        string? text = Scalar(key, node);
        if (text is null)
        {
            return null;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(url.Host))
        {
            throw Error(key, node, $"must be an http:// or https:// URL, e.g. http://crik-node-state-server.crik-system.svc.cluster.local:9376, got \"{WithoutCredentials(text)}\"");
        }
        if (QueryKeys(url).Contains(NodeStateContract.WaitQuery, StringComparer.OrdinalIgnoreCase))
        {
            throw Error(key, node, $"must not carry {NodeStateContract.WaitQuery}: crik asks for it itself at a SIGTERM (set {ConfigKeys.NodeStateWait} instead)");
        }
        return url;
    }

    private static IEnumerable<string> QueryKeys(Uri url) =>
        url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Select(pair => Uri.UnescapeDataString(pair.Split('=')[0]));

    /// <summary>An address and port to listen on: "0.0.0.0:9400", "[::]:9400", or ":9400" for every IPv4 address.</summary>
    public System.Net.IPEndPoint? ListenAddress(string key, YamlNode node)
    {
        string? text = Scalar(key, node);
        if (text is null)
        {
            return null;
        }
        string withHost = text.StartsWith(':') ? "0.0.0.0" + text : text;
        // Without a port, TryParse succeeds with port 0: crik needs a port Prometheus can be told about.
        if (!System.Net.IPEndPoint.TryParse(withHost, out System.Net.IPEndPoint? address) || address.Port == 0)
        {
            throw Error(key, node, $"must be an IP address and port to listen on, e.g. 0.0.0.0:9400 or :9400, got \"{text}\"");
        }
        return address;
    }

    public int? PositiveInteger(string key, YamlNode node)
    {
        string? text = Scalar(key, node);
        if (text is null)
        {
            return null;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < 1)
        {
            throw Error(key, node, AllDigits(text)
                ? $"must be a whole number from 1 to {int.MaxValue}, got \"{text}\""
                : $"must be a whole number of at least 1, got \"{text}\"");
        }
        return value;
    }

    public TimeSpan? Duration(string key, YamlNode node)
    {
        string? text = Scalar(key, node);
        if (text is null)
        {
            return null;
        }
        if (!DurationParser.TryParse(text, out TimeSpan value) || value <= TimeSpan.Zero)
        {
            throw Error(key, node, $"must be a positive duration such as 25s, 1m30s or 500ms, got \"{text}\"");
        }
        if (value < CrikConfig.MinimumDuration)
        {
            throw Error(key, node, $"must be at least 1ms, got \"{text}\"");
        }
        if (value > CrikConfig.MaximumDuration)
        {
            throw Error(key, node, $"must be at most 24h, got \"{text}\"");
        }
        return value;
    }

    /// <summary>A duration from 0 (none) to <paramref name="maximum"/>.</summary>
    public TimeSpan? ShortWait(string key, YamlNode node, TimeSpan maximum)
    {
        string? text = Scalar(key, node);
        if (text is null)
        {
            return null;
        }
        if (!DurationParser.TryParse(text, out TimeSpan value) || value > maximum)
        {
            throw Error(key, node, $"must be a duration from 0 to {maximum.TotalSeconds:0.###}s, such as 1s or 500ms, got \"{text}\"");
        }
        return value;
    }

    /// <summary>A duration of at least <paramref name="minimum"/> (and at most 24h, as every duration).</summary>
    public TimeSpan? Interval(string key, YamlNode node, TimeSpan minimum)
    {
        TimeSpan? value = Duration(key, node);
        if (value < minimum)
        {
            throw Error(key, node, $"must be at least {minimum.TotalSeconds:0.###}s, got \"{Scalar(key, node)}\"");
        }
        return value;
    }

    /// <summary>A number of bytes: plain, or with a binary suffix Ki, Mi, Gi or Ti (as Kubernetes writes quantities).</summary>
    public long? ByteSize(string key, YamlNode node)
    {
        string? text = Scalar(key, node);
        if (text is null)
        {
            return null;
        }
        (string digits, int shift) = text switch
        {
            _ when text.EndsWith("Ki", StringComparison.Ordinal) => (text[..^2], 10),
            _ when text.EndsWith("Mi", StringComparison.Ordinal) => (text[..^2], 20),
            _ when text.EndsWith("Gi", StringComparison.Ordinal) => (text[..^2], 30),
            _ when text.EndsWith("Ti", StringComparison.Ordinal) => (text[..^2], 40),
            _ => (text, 0),
        };
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value > long.MaxValue >> shift)
        {
            throw Error(key, node, AllDigits(digits)
                ? $"is too large: a size is at most {long.MaxValue} bytes, got \"{text}\""
                : $"must be a size in bytes such as 256Mi, 1Gi or 0, got \"{text}\"");
        }
        return value << shift;
    }

    private static bool AllDigits(string text) => text.Length > 0 && text.All(char.IsAsciiDigit);

    public T Choice<T>(string key, YamlNode node, T fallback) where T : struct, Enum
    {
        string? text = Scalar(key, node);
        if (text is null)
        {
            return fallback;
        }
        foreach (T option in Enum.GetValues<T>())
        {
            if (string.Equals(option.ToString(), text, StringComparison.OrdinalIgnoreCase))
            {
                return option;
            }
        }
        string options = string.Join(" or ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()));
        throw Error(key, node, $"must be {options}, got \"{text}\"");
    }

    private string? AbsolutePath(string key, YamlNode node, string? text)
    {
        if (text is null)
        {
            return null;
        }
        if (!text.StartsWith('/'))
        {
            throw Error(key, node, $"must be an absolute path (starting with /), got \"{text}\"");
        }
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            throw Error(key, node, $"must not contain a NUL character, got \"{text}\"");
        }
        string trimmed = text.TrimEnd('/');
        return trimmed.Length == 0 ? "/" : trimmed;
    }

    private string? Scalar(string key, YamlNode node)
    {
        if (IsNull(node))
        {
            return null;
        }
        if (node is not YamlScalarNode scalar)
        {
            throw Error(key, node, "must be a single value, not a list or a mapping");
        }
        return scalar.Value;
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: not (ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted) } s
        && (string.IsNullOrEmpty(s.Value) || s.Value is "~" or "null" or "Null" or "NULL");

    private ConfigException Error(string key, YamlNode node, string problem) =>
        new($"{file}:{ConfigLoader.Line(node)}: {key}: {problem}");

    /// <summary>The URL text with any user:password@ part hidden, so credentials never reach a log.</summary>
    private static string WithoutCredentials(string url) => CredentialsPart().Replace(url, "://***@");

    [System.Text.RegularExpressions.GeneratedRegex("://[^/@]*@")]
    private static partial System.Text.RegularExpressions.Regex CredentialsPart();
}
