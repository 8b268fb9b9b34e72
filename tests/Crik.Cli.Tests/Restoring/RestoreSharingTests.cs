using System.Globalization;
using System.Text.RegularExpressions;
using Crik.Cli.Tests.Observing;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// How much memory a restored tree shares, as CRIU counted it while it restored (its stats-restore): a parent and
/// the child it forked share a large private area copy-on-write, and after a restore each way the restore line
/// and crik_restore_shared_bytes give about that area's size.
/// </summary>
public sealed partial class RestoreSharingTests : IDisposable
{
    private const int SharedMib = 64;

    private readonly HttpClient _http = new();

    public void Dispose() => _http.Dispose();

    [CriuTheory]
    [InlineData("lazyRestore: on\n", false, false, ", lazily (")]
    [InlineData("lazyRestore: off\n", false, false, ", eagerly, on crik's fill (")]
    [InlineData("lazyRestore: off\n", true, false, ", eagerly, from CRIU's stream")]
    [InlineData("lazyRestore: off\n", false, true, ", eagerly, from image files")]
    public async Task TheRestoreLineAndAMetricSayHowMuchMemoryTheRestoredProcessesShare(string config, bool withoutUserfault, bool reserve, string how)
    {
        int port = FreePort.Get();
        using var pods = new Pods($"{config}metricsAddress: 127.0.0.1:{port}\n");
        string mib = SharedMib.ToString(CultureInfo.InvariantCulture);
        string[] app = reserve ? ["python3", Paths.App("shared-after-fork.py"), mib, "0", "reserve"] : ["python3", Paths.App("shared-after-fork.py"), mib, "0"];
        Dictionary<string, string> environment = withoutUserfault ? FilledRestoreTests.WithoutUserfault : [];
        using (CrikRun first = pods.StartWith(environment, app))
        {
            first.WaitForLine("count 3", TimeSpan.FromSeconds(60));
            Pods.CheckpointAndStop(first);
        }
        using CrikRun second = pods.StartWith(environment, app);
        string restored = second.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        Assert.Contains(how, restored, StringComparison.Ordinal);
        Match said = KeptShared().Match(restored);
        Assert.True(said.Success, restored);
        double shared = double.Parse(said.Groups[1].Value, CultureInfo.InvariantCulture);
        // The area, and the little of the interpreter's own memory the two share besides.
        Assert.True(shared is >= SharedMib * 0.95 and <= SharedMib * 1.5, restored);

        Dictionary<string, double> metrics = await ScrapeAsync(port);
        Assert.InRange(metrics["crik_restore_shared_bytes"] / (1 << 20), shared - 0.1, shared + 0.1);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 2);
        Assert.True(Pods.Counts(second)[0] > 0, second.Transcript);
        second.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// A checkpoint crik copied while the app ran (a fresh app's first, with trackWrites) holds its pages without CRIU's lazy
    /// marks: read with the marks CRIU would give before the sharing rule looks at them, the area the two processes share is
    /// restored lazily and still shared.
    /// </summary>
    [CriuFact]
    public void ACheckpointCopiedWhileTheAppRanKeepsWhatItsProcessesShareWhenRestoredLazily()
    {
        using var pods = new Pods("lazyRestore: on\ntrackWrites: on\n");
        string[] app = ["python3", Paths.App("shared-after-fork.py"), SharedMib.ToString(CultureInfo.InvariantCulture), "0"];
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("count 3", TimeSpan.FromSeconds(60));
            Pods.CheckpointOnDemand(first, 1);
            first.WaitForLine("of the app's memory while it ran, all of it", stderr: true);
            first.Signal(Native.SIGKILL);
        }
        using CrikRun second = pods.Start(app);
        string restored = second.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        Assert.Contains(", lazily (", restored, StringComparison.Ordinal);
        Match said = KeptShared().Match(restored);
        Assert.True(said.Success && double.Parse(said.Groups[1].Value, CultureInfo.InvariantCulture) >= SharedMib * 0.95, restored);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 2);
        second.Signal(Native.SIGKILL);
    }

    [GeneratedRegex(@"; ([\d.]+) MiB kept shared between its processes \(CRIU's restore statistics\); ")]
    private static partial Regex KeptShared();

    private async Task<Dictionary<string, double>> ScrapeAsync(int port)
    {
        using HttpResponseMessage response = await _http.GetAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        return MetricsTests.Parse(await response.Content.ReadAsStringAsync());
    }
}
