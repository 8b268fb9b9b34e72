using System.Globalization;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// A real pre-fork server, Debian's gunicorn with --preload and four workers over a 200 MiB model,
/// restored lazily inside a memory cgroup sized for what it really uses (its shared model once): it
/// keeps answering, with its model whole. Were each worker to get its own copy of the model, as
/// userfaultfd alone gives, the tree would need about five times the model and be OOM-killed.
/// </summary>
public class PreForkServerTests
{
    private const int ModelMib = 200;

    [PreForkServerFact]
    public async Task GunicornWithPreloadedWorkersKeepsAnsweringAfterALazyRestoreInAMemoryLimitSizedForItsRealUse()
    {
        using var pods = new Pods("lazyRestore: on\n");
        int port = FreePort.Get();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        string url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        string[] gunicorn = ["gunicorn", "--preload", "-w", "4", "-b", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            "--chdir", Path.GetDirectoryName(Paths.App("prefork_model.py"))!, "prefork_model:application"];
        var environment = new Dictionary<string, string> { ["MODEL_MIB"] = ModelMib.ToString(CultureInfo.InvariantCulture) };
        string digest;
        long before;
        using (CrikRun first = pods.StartWith(environment, gunicorn))
        {
            await Poll.UntilAsync(async () => await Answers(http, url) && ProcessTable.DescendantsOf(first.CrikPid).Count >= 5, "gunicorn and its four workers to answer", TimeSpan.FromSeconds(60));
            digest = await http.GetStringAsync(url + "/digest");
            before = ProcessTable.TreePss(first.CrikPid);
            Pods.CheckpointAndStop(first);
        }
        Assert.Matches("^digest ([0-9a-f]{64}) loaded \\1$", digest);

        // Room for the model once, the five interpreters and crik, with some to spare; not for the model five times.
        long limit = before + (ModelMib << 20);
        using var cgroup = MemoryCgroup.Create(limit);
        using CrikRun second = pods.StartInside($"echo 0 > {cgroup.Path}/cgroup.procs", environment, gunicorn);
        second.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(120), stderr: true);
        second.WaitForLine("the app's memory is all in", TimeSpan.FromSeconds(120), stderr: true);
        var pids = new HashSet<string>();
        for (int i = 0; i < 20; i++)
        {
            pids.Add(await http.GetStringAsync(url + "/"));
        }
        Assert.Equal(digest, await http.GetStringAsync(url + "/digest"));
        long after = ProcessTable.TreePss(second.CrikPid);
        Assert.False(second.Stderr.Any(l => l.Contains("OOM", StringComparison.Ordinal)), second.Transcript);
        Assert.True(after <= before * 1.3, $"PSS before {before >> 20} MiB, after {after >> 20} MiB, limit {limit >> 20} MiB\n{second.Transcript}");
        second.Signal(Native.SIGKILL);
    }

    private static async Task<bool> Answers(HttpClient http, string url)
    {
        try
        {
            return (await http.GetStringAsync(url + "/")).StartsWith("ok ", StringComparison.Ordinal);
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}

/// <summary>Runs where CRIU, a memory cgroup and Debian's gunicorn are (always in CI, where scripts/test.sh installs gunicorn).</summary>
public sealed class PreForkServerFactAttribute : FactAttribute
{
    public PreForkServerFactAttribute()
    {
        if (!Prerequisites.InCi && (Prerequisites.MissingForCriu() ?? MemoryCgroup.Missing() ?? MissingGunicorn()) is { } reason)
        {
            Skip = reason;
        }
    }

    private static string? MissingGunicorn() =>
        File.Exists("/usr/bin/gunicorn") ? null : "needs Debian's gunicorn (apt-get install gunicorn; scripts/test.sh installs it)";
}
