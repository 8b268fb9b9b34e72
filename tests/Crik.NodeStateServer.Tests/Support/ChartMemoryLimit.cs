using System.Globalization;
using Crik.TestSupport;
using YamlDotNet.RepresentationModel;

namespace Crik.NodeStateServer.Tests.Support;

/// <summary>The memory limit the Helm chart gives the server (resources.limits.memory in values.yaml).</summary>
internal static class ChartMemoryLimit
{
    public static long Bytes()
    {
        var values = new YamlStream();
        values.Load(new StringReader(File.ReadAllText(Path.Combine(Paths.Chart, "values.yaml"))));
        var root = (YamlMappingNode)values.Documents[0].RootNode;
        var limits = (YamlMappingNode)((YamlMappingNode)root["resources"])["limits"];
        return Parse(limits["memory"].ToString());
    }

    /// <summary>The binary suffixes a chart is likely to use; anything else fails the test that asked.</summary>
    private static long Parse(string quantity)
    {
        (string Suffix, long Unit)[] units = [("Ki", 1L << 10), ("Mi", 1L << 20), ("Gi", 1L << 30)];
        foreach (var (suffix, unit) in units)
        {
            if (quantity.EndsWith(suffix, StringComparison.Ordinal))
                return long.Parse(quantity[..^suffix.Length], CultureInfo.InvariantCulture) * unit;
        }
        throw new FormatException($"unexpected memory quantity in the chart: {quantity}");
    }
}
