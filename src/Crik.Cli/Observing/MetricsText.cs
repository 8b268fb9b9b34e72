using Crik.Shared.Prometheus;

namespace Crik.Cli.Observing;

/// <summary>What the metrics' owners write alike into /metrics' text.</summary>
internal static class MetricsText
{
    /// <summary>A counter without labels, read once.</summary>
    public static void Counter(PrometheusText text, string name, string help, ref long value) =>
        text.Family(name, "counter", help).Sample(name, "", Interlocked.Read(ref value));

    /// <summary>A gauge of the seconds since <paramref name="since"/> (<see cref="Environment.TickCount64"/>), 0 while it is 0.</summary>
    public static void SecondsSince(PrometheusText text, string name, string help, ref long since)
    {
        long start = Interlocked.Read(ref since);
        text.Family(name, "gauge", help).Sample(name, "", start == 0 ? 0 : (Environment.TickCount64 - start) / 1000.0);
    }
}
