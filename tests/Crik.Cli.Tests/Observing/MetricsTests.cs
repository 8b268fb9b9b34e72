using System.Globalization;
using System.Text.RegularExpressions;
using Crik.Cli.Observing;
using Crik.Shared.Prometheus;
using Crik.TestSupport;
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
        Assert.Equal(1, samples["crik_checkpoints_total{reason=\"periodic\",outcome=\"committed\"}"]);
        Assert.Equal(1, samples["crik_checkpoints_total{reason=\"sigterm\",outcome=\"failed\"}"]);
        Assert.Equal(0, samples["crik_checkpoints_total{reason=\"at_risk\",outcome=\"skipped\"}"]);
        Assert.Equal(1, samples["crik_checkpoint_frozen_seconds_count"]);
        Assert.Equal(0.7, samples["crik_checkpoint_frozen_seconds_sum"]);
        Assert.Equal(1, samples["crik_checkpoint_frozen_seconds_bucket{le=\"1\"}"]);
        Assert.Equal(0, samples["crik_checkpoint_frozen_seconds_bucket{le=\"0.5\"}"]);
        Assert.Equal(100, samples["crik_checkpoint_written_bytes"]);
        Assert.Equal(1000, samples["crik_checkpoint_size_bytes"]);
        Assert.InRange(samples["crik_checkpoint_last_success_timestamp_seconds"], DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal(1, samples["crik_restore_duration_seconds_count{mode=\"lazy\"}"]);
        Assert.Equal(1, samples["crik_restores_total{mode=\"lazy\",outcome=\"restored\"}"]);
        Assert.Equal(0, samples["crik_restores_total{mode=\"eager\",outcome=\"failed\"}"]);
        Assert.Equal(1, samples["crik_app_running"]);
        Assert.Equal(0.5, samples["crik_app_start_seconds{how=\"restored\"}"]);
        Assert.Equal(2.5, samples["crik_restore_memory_all_in_seconds"]);
        Assert.Equal(1, samples["crik_checkpoints_set_aside_total"]);
        Assert.Equal(1, samples["crik_restore_crash_loop_give_ups_total"]);
        Assert.Equal(1, samples["crik_restore_resumed_again_total"]);
        Assert.Equal(1, samples["crik_app_oom_kills_total"]);
        Assert.Equal(1, samples["crik_lease_state{state=\"held\"}"]);
        Assert.Equal(0, samples["crik_lease_state{state=\"lost\"}"]);
        Assert.True(samples["process_resident_memory_bytes"] > 0);
        Assert.True(samples["process_cpu_seconds_total"] > 0);
        Assert.InRange(samples["process_start_time_seconds"], DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 3600, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal(1, Assert.Single(samples, s => s.Key.StartsWith("crik_build_info{version=\"", StringComparison.Ordinal)).Value);
        Assert.Equal(0, samples["crik_checkpoint_interval_seconds"]);

        metrics.On(new Happening.LeaseLost(9));
        Assert.Equal(1, Parse(metrics.Render())["crik_lease_state{state=\"lost\"}"]);
    }

    [Fact]
    public void TheMemoryARestoreLeftSharedIsAGaugeOnceCriuSaidIt()
    {
        var metrics = new CrikMetrics();
        metrics.On(new Happening.Restored(3, Lazily: false, TimeSpan.FromSeconds(0.4), TimeSpan.FromSeconds(0.5), 9));
        Assert.False(Parse(metrics.Render()).ContainsKey("crik_restore_shared_bytes")); // CRIU wrote no statistics: no guess
        metrics.On(new Happening.Restored(4, Lazily: true, TimeSpan.FromSeconds(0.4), TimeSpan.FromSeconds(0.5), 9, SharedBytes: 64L << 20));
        Assert.Equal(64L << 20, Parse(metrics.Render())["crik_restore_shared_bytes"]);
    }

    [Fact]
    public void ASkippedCheckpointIsCountedButNotTimed()
    {
        var metrics = new CrikMetrics(TimeSpan.FromMinutes(5));
        metrics.On(new Happening.CheckpointSkipped("periodic", "another crik holds the lock"));
        metrics.On(new Happening.CheckpointSkipped("periodic", "another crik holds the lock"));
        Dictionary<string, double> samples = Parse(metrics.Render());
        Assert.Equal(2, samples["crik_checkpoints_total{reason=\"periodic\",outcome=\"skipped\"}"]);
        Assert.DoesNotContain(samples.Keys, k => k.StartsWith("crik_checkpoint_duration_seconds", StringComparison.Ordinal));
        Assert.Equal(0, samples["crik_checkpoint_frozen_seconds_count"]);
        Assert.Equal(300, samples["crik_checkpoint_interval_seconds"]);
    }

    [Fact]
    public void EachPeriodicCheckpointThatStretchedTheIntervalIsCountedFromZero()
    {
        var metrics = new CrikMetrics(TimeSpan.FromSeconds(1));
        Assert.Equal(0, Parse(metrics.Render())["crik_checkpoints_periodic_stretched_total"]);
        metrics.On(new Happening.PeriodicCheckpointStretched(TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(1)));
        metrics.On(new Happening.PeriodicCheckpointStretched(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)));
        Assert.Equal(2, Parse(metrics.Render())["crik_checkpoints_periodic_stretched_total"]);
    }

    [Fact]
    public void TheAppIsRunningFromItsStartUntilItIsGoneAndNeverWhenNothingStarted()
    {
        var metrics = new CrikMetrics();
        Assert.Equal(0, Parse(metrics.Render())["crik_app_running"]);
        metrics.On(new Happening.StartedFresh("no checkpoint", TimeSpan.Zero));
        Assert.Equal(1, Parse(metrics.Render())["crik_app_running"]);
        metrics.On(new Happening.AppGone());
        Assert.Equal(0, Parse(metrics.Render())["crik_app_running"]);

        var failed = new CrikMetrics();
        failed.On(new Happening.RestoreFailed(2, false, "CRIU failed"));
        failed.On(new Happening.AppNotStarted("onRestoreFailure: fail"));
        Dictionary<string, double> samples = Parse(failed.Render());
        Assert.Equal(0, samples["crik_app_running"]);
        Assert.Equal(1, samples["crik_restores_total{mode=\"eager\",outcome=\"failed\"}"]);
    }

    [Fact]
    public void EachFreezeOfTheLeaseIsCountedOnce()
    {
        var metrics = new CrikMetrics();
        metrics.On(new Happening.LeaseChanged(LeaseState.Held));
        metrics.On(new Happening.LeaseChanged(LeaseState.Frozen));
        metrics.On(new Happening.LeaseChanged(LeaseState.Frozen));
        metrics.On(new Happening.LeaseChanged(LeaseState.Held));
        metrics.On(new Happening.LeaseChanged(LeaseState.Frozen));
        Assert.Equal(2, Parse(metrics.Render())["crik_lease_freezes_total"]);
    }

    [Fact]
    public void ADoubtIsTimedWhileItLastsAndAKeptOneSaysHowLongItWas()
    {
        var metrics = new CrikMetrics();
        metrics.On(new Happening.LeaseChanged(LeaseState.Held));
        Dictionary<string, double> held = Parse(metrics.Render());
        Assert.Equal((0, 0, 0), (held["crik_lease_in_doubt_seconds"], held["crik_lease_kept_after_seconds"], held["crik_lease_doubts_kept_total"]));

        metrics.On(new Happening.LeaseInDoubt(9));
        Thread.Sleep(300);
        Dictionary<string, double> inDoubt = Parse(metrics.Render());
        Assert.InRange(inDoubt["crik_lease_in_doubt_seconds"], 0.25, 30);
        Assert.Equal(1, inDoubt["crik_lease_state{state=\"frozen\"}"]);
        Assert.Equal(1, inDoubt["crik_lease_freezes_total"]);

        metrics.On(new Happening.LeaseKept(9, TimeSpan.FromSeconds(42)));
        Dictionary<string, double> kept = Parse(metrics.Render());
        Assert.Equal((0, 42, 1), (kept["crik_lease_in_doubt_seconds"], kept["crik_lease_kept_after_seconds"], kept["crik_lease_doubts_kept_total"]));
        Assert.Equal(1, kept["crik_lease_state{state=\"held\"}"]);

        metrics.On(new Happening.LeaseInDoubt(9));
        metrics.On(new Happening.LeaseLost(9, TimeSpan.FromSeconds(5)));
        Dictionary<string, double> lost = Parse(metrics.Render());
        Assert.Equal((0, 2), (lost["crik_lease_in_doubt_seconds"], lost["crik_lease_freezes_total"]));
        Assert.Equal(1, lost["crik_lease_state{state=\"lost\"}"]);
    }

    [Fact]
    public void TheStoresRequestsAndTheNodeStateAnswersAreCounted()
    {
        Dictionary<string, double> before = Parse(new CrikMetrics().Render());
        Tallies.StoreRequest(Tallies.S3, "read");
        Tallies.StoreRequest(Tallies.S3, "read", failed: true);
        Tallies.StoreRetry(Tallies.S3);
        Tallies.NodeStateAnswer("at_risk");
        Dictionary<string, double> after = Parse(new CrikMetrics().Render());
        Assert.Equal(2, Delta("crik_store_requests_total{backend=\"s3\",operation=\"read\"}"));
        Assert.Equal(1, Delta("crik_store_errors_total{backend=\"s3\",operation=\"read\"}"));
        Assert.Equal(1, Delta("crik_store_retries_total{backend=\"s3\"}"));
        Assert.Equal(1, Delta("crik_node_state_queries_total{answer=\"at_risk\"}"));

        double Delta(string series) => after[series] - before.GetValueOrDefault(series);
    }

    [Fact]
    public void WithANodeStateServerEveryAnswerIsCountedFromZeroAndAStoresErrorsFromItsFirstRequest()
    {
        Tallies.StoreRequest(Tallies.Volume, "move");
        Dictionary<string, double> samples = Parse(new CrikMetrics(asksNodeState: true).Render());
        foreach (string answer in new[] { "ready", "at_risk", "shutting_down", "unknown", "error" })
            Assert.True(samples.ContainsKey($"crik_node_state_queries_total{{answer=\"{answer}\"}}"), answer);
        Assert.True(samples.ContainsKey("crik_store_errors_total{backend=\"volume\",operation=\"move\"}"));
        Assert.True(samples.ContainsKey("crik_store_retries_total{backend=\"volume\"}"));
    }

    [ToolFact("promtool")]
    public void PromtoolFindsNothingToSayAboutTheExposition()
    {
        var metrics = new CrikMetrics(TimeSpan.FromSeconds(1));
        metrics.On(new Happening.CheckpointCommitted(4, "periodic", 1000, 100, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(0.07)));
        metrics.On(new Happening.CheckpointFailed(5, "sigterm", TimeSpan.FromSeconds(3), "CRIU failed"));
        metrics.On(new Happening.Restored(3, Lazily: true, TimeSpan.FromSeconds(0.4), TimeSpan.FromSeconds(0.5), 9));
        metrics.On(new Happening.RestoreMemoryAllIn(3, TimeSpan.FromSeconds(2.5)));
        Tallies.StoreRequest(Tallies.Volume, "list");
        Tallies.StoreRetry(Tallies.S3);
        Tallies.NodeStateAnswer("ready");
        string file = Path.Combine(Path.GetTempPath(), $"crik-metrics-{Guid.NewGuid():N}.txt");
        File.WriteAllText(file, metrics.Render());
        try
        {
            (int code, string error) = HostCommand.Run("sh", "-c", "promtool check metrics < \"$0\" 2>&1 >&2", file);
            Assert.True(code == 0 && error.Trim().Length == 0, $"promtool check metrics exited {code}: {error}");
        }
        finally
        {
            File.Delete(file);
        }
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
