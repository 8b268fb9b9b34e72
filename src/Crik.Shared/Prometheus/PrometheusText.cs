using System.Globalization;
using System.Text;

namespace Crik.Shared.Prometheus;

/// <summary>Writes the Prometheus text exposition format (version 0.0.4): families with HELP and TYPE, then samples.</summary>
internal sealed class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _text = new(2048);

    public PrometheusText Family(string name, string type, string help)
    {
        _text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        return this;
    }

    /// <summary>One sample; <paramref name="labels"/> is already rendered (<see cref="Labels"/>) or empty.</summary>
    public PrometheusText Sample(string name, string labels, long value)
    {
        _text.Append(name).Append(labels).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return this;
    }

    public PrometheusText Sample(string name, string labels, double value)
    {
        _text.Append(name).Append(labels).Append(' ').Append(Number(value)).Append('\n');
        return this;
    }

    /// <summary>A histogram's cumulative buckets, +Inf, sum and count, under one label set.</summary>
    public PrometheusText Histogram(string name, string labels, HistogramSnapshot snapshot)
    {
        var inner = labels.Length == 0 ? "" : labels[1..^1] + ",";
        for (var i = 0; i < snapshot.UpperBounds.Count; i++)
            Sample(name + "_bucket", "{" + inner + "le=\"" + Number(snapshot.UpperBounds[i]) + "\"}", snapshot.CumulativeCounts[i]);
        Sample(name + "_bucket", "{" + inner + "le=\"+Inf\"}", snapshot.Count);
        Sample(name + "_sum", labels, snapshot.Sum);
        return Sample(name + "_count", labels, snapshot.Count);
    }

    /// <summary>Renders <c>{a="x",b="y"}</c>, escaping backslashes, quotes and newlines in the values.</summary>
    public static string Labels(params (string Name, string Value)[] labels)
    {
        if (labels.Length == 0)
            return "";
        var text = new StringBuilder("{");
        foreach (var (name, value) in labels)
        {
            if (text.Length > 1)
                text.Append(',');
            text.Append(name).Append("=\"")
                .Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal))
                .Append('"');
        }
        return text.Append('}').ToString();
    }

    public override string ToString() => _text.ToString();

    private static string Number(double value) => double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);
}
