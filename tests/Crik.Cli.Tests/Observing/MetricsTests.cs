using System.Globalization;
using System.Text.RegularExpressions;
using Crik.Cli.Observing;
using Crik.Shared.Prometheus;
using Xunit;

namespace Crik.Cli.Tests.Observing;

[Trait("Category", "Unit")]
public sealed partial class MetricsTests
{
    [Fact]
    public void AHistogramsBucketsAreCumulativeAndEndInInfinity()
    {
        var histogram = new Histogram([1, 5]);
        histogram.Observe(0.5);
        histogram.Observe(3);
        histogram.Observe(9);
        string text = new PrometheusText().Family("x_seconds", "histogram", "X.")
            .Histogram("x_seconds", PrometheusText.Labels(("mode", "lazy")), histogram.Snapshot()).ToString();
        Assert.Equal("""
            # HELP x_seconds X.
            # TYPE x_seconds histogram
            x_seconds_bucket{mode="lazy",le="1"} 1
            x_seconds_bucket{mode="lazy",le="5"} 2
            x_seconds_bucket{mode="lazy",le="+Inf"} 3
            x_seconds_sum{mode="lazy"} 12.5
            x_seconds_count{mode="lazy"} 3

            """.ReplaceLineEndings("\n"), text);
    }

    [Fact]
    public void LabelValuesAreEscaped() =>
        Assert.Equal("{why=\"a \\\"b\\\"\\\\c\\nd\"}", PrometheusText.Labels(("why", "a \"b\"\\c\nd")));

    [Fact]
    public void CrikMetricsFollowTheMomentsAndParseAsTheTextFormat()
    {
        var metrics = new CrikMetrics();
        metrics.On(new Happening.LeaseChanged(LeaseState.Held));
        metrics.On(new Happening.Restored(3, Lazily: true, TimeSpan.FromSeconds(0.4), TimeSpan.FromSeconds(0.5), 9));
        metrics.On(new Happening.RestoreMemoryAllIn(3, TimeSpan.FromSeconds(2.5)));
        metrics.On(new Happening.CheckpointCommitted(4, "periodic", 1000, 100, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(0.7)));
        metrics.On(new Happening.CheckpointFailed(5, "sigterm", TimeSpan.FromSeconds(3), "CRIU failed"));
        metrics.On(new Happening.CheckpointSetAside("c", "unreadable", "s"));
        metrics.On(new Happening.RestoreCrashLoop("c", "died"));
        metrics.On(new Happening.RestoreResumedAgain(3, 2, 3));
        metrics.On(new Happening.AppOomKilled(9, true));
        Dictionary<string, double> samples = Parse(metrics.Render());

        Assert.Equal(1, samples["crik_checkpoint_duration_seconds_count{reason=\"periodic\",outcome=\"committed\"}"]);
        Assert.Equal(1, samples["crik_checkpoint_duration_seconds_bucket{reason=\"periodic\",outcome=\"committed\",le=\"2.5\"}"]);
        Assert.Equal(0, samples["crik_checkpoint_duration_seconds_bucket{reason=\"periodic\",outcome=\"committed\",le=\"1\"}"]);
        Assert.Equal(1, samples["crik_checkpoint_duration_seconds_count{reason=\"sigterm\",outcome=\"failed\"}"]);
        Assert.Equal(0.7, samples["crik_checkpoint_frozen_seconds"]);
        Assert.Equal(100, samples["crik_checkpoint_written_bytes"]);
        Assert.Equal(1000, samples["crik_checkpoint_size_bytes"]);
        Assert.InRange(samples["crik_checkpoint_last_success_timestamp_seconds"], DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal(1, samples["crik_restore_duration_seconds_count{mode=\"lazy\"}"]);
        Assert.Equal(1, samples["crik_restores_total{mode=\"lazy\",outcome=\"restored\"}"]);
        Assert.Equal(0.5, samples["crik_app_start_seconds{how=\"restored\"}"]);
        Assert.Equal(2.5, samples["crik_restore_memory_all_in_seconds"]);
        Assert.Equal(1, samples["crik_checkpoints_set_aside_total"]);
        Assert.Equal(1, samples["crik_restore_crash_loop_give_ups_total"]);
        Assert.Equal(1, samples["crik_restore_resumed_again_total"]);
        Assert.Equal(1, samples["crik_app_oom_kills_total"]);
        Assert.Equal(1, samples["crik_lease_state{state=\"held\"}"]);
        Assert.Equal(0, samples["crik_lease_state{state=\"lost\"}"]);
        Assert.True(samples["process_resident_memory_bytes"] > 0);

        metrics.On(new Happening.LeaseLost(9));
        Assert.Equal(1, Parse(metrics.Render())["crik_lease_state{state=\"lost\"}"]);
    }

    /// <summary>Every line a comment (HELP or TYPE, each family once) or a sample; the samples by series.</summary>
    internal static Dictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>();
        var families = new HashSet<string>();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                Assert.True(families.Add(line.Split(' ')[2]), $"family typed twice: {line}");
                continue;
            }
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                continue;
            }
            Match sample = SampleLine().Match(line);
            Assert.True(sample.Success, $"not a sample line: {line}");
            Assert.True(samples.TryAdd(sample.Groups[1].Value, double.Parse(sample.Groups[2].Value.Replace("+Inf", "Infinity", StringComparison.Ordinal), CultureInfo.InvariantCulture)),
                $"series twice: {line}");
        }
        return samples;
    }

    [GeneratedRegex(@"^([a-z_:][a-z0-9_:]*(?:\{[^}]*\})?) (\S+)$")]
    private static partial Regex SampleLine();
}
