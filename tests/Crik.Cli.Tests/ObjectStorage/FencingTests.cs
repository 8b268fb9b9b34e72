using System.Text.RegularExpressions;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>
/// One live copy in object storage when the holder goes wrong: cut off from the store, frozen past its
/// lease, racing another pod at start, or losing its lease mid-commit; and a store that stops answering,
/// which keeps the app frozen and then lets it run on. Each pod reaches the store
/// through its own proxy, so what each sent can be told apart.
/// </summary>
[Xunit.Collection(PodsKilledMidDump.Name)]
public sealed partial class FencingTests : IDisposable
{
    /// <summary>Prints "count N MILLISECONDS" every 0.1 s: the wall clock tells whether two pods' apps ever ran at once.</summary>
    private const string Ticker = "i=0; while :; do echo \"count $i $(date +%s%3N)\"; i=$((i+1)); sleep 0.1; done";

    private readonly S3Server? _server = Prerequisites.InCi || (Prerequisites.MissingForCriu() ?? S3Server.Missing()) is null ? new S3Server() : null;
    private readonly TempDirectory _dir = new();

    [S3CriuFact]
    public void AHolderFrozenPastATakeoverWakesToWriteNothingAndKillItsAppAndTheNewCheckpointIsRestored()
    {
        using var firstProxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        using var secondProxy = new FaultyProxy(_server.Endpoint, sharingConditionsWith: firstProxy) { ConditionalWrites = true };
        string config = Config("frozen", "leaseDuration: 4s\nlockWait: 90s\n");
        using CrikRun first = Start(config, firstProxy.Endpoint, Pods.Counter());
        first.WaitForLine(_ => Pods.Counts(first).Count >= 3, TimeSpan.FromSeconds(60));
        List<int> frozen = PodProcesses(first);
        Assert.True(frozen.Count >= 2, $"crik and its app: {string.Join(' ', frozen)}");
        frozen.ForEach(pid => Native.TrySignal(pid, Native.SIGSTOP)); // as a paused VM: crik first, then its app (a `sleep` may have ended)

        int checkpointed;
        using (CrikRun second = Start(config, secondProxy.Endpoint, Pods.Counter()))
        {
            second.WaitForLine(_ => Pods.Counts(second).Count >= 3, TimeSpan.FromSeconds(60));
            Pods.CheckpointAndStop(second);
            checkpointed = Pods.Counts(second).Last();
        }
        int seenBefore = firstProxy.Seen.Count;
        frozen.ForEach(pid => Native.TrySignal(pid, Native.SIGCONT)); // crik wakes first and may kill its app before the rest are woken

        Assert.Equal(125, first.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains(first.Stderr, l => l.Contains(" ERR ", StringComparison.Ordinal) && l.Contains("was killed", StringComparison.Ordinal));
        List<string> written = firstProxy.Seen.Skip(seenBefore).Where(r => !r.StartsWith("GET ", StringComparison.Ordinal) && !r.StartsWith("HEAD ", StringComparison.Ordinal)).ToList();
        Assert.True(written.Count == 0, $"the woken pod sent {string.Join(", ", written)}\n{first.Transcript}");

        (int code, _, string verifyError) = CrikCommand.Run(["images", "--config", config, "--verify"], _server.Environment(secondProxy.Endpoint));
        Assert.True(code == 0, verifyError);
        using CrikRun third = Start(config, secondProxy.Endpoint, Pods.Counter());
        third.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        third.WaitForLine(_ => Pods.Counts(third).Count >= 1);
        Assert.True(Pods.Counts(third)[0] == checkpointed + 1, $"the restored app should go on from {checkpointed}\n{third.Transcript}");
        third.Signal(Native.SIGKILL);
    }

    [S3CriuFact]
    public void TwoPodsStartedAtOnceOnOnePrefixRunOneApp()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        string config = Config("at-once", "leaseDuration: 3s\nlockWait: 15s\n");
        using CrikRun one = Start(config, proxy.Endpoint);
        using CrikRun other = Start(config, proxy.Endpoint);

        CrikRun running = Poll.Until(() => Ticks(one).Count >= 3 ? one : Ticks(other).Count >= 3 ? other : null, "one pod's app to run", TimeSpan.FromSeconds(60));
        CrikRun waiting = running == one ? other : one;
        Assert.Equal(125, waiting.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Empty(waiting.Stdout);
        Assert.Contains(waiting.Stderr, l => l.Contains("is still held by another crik after lockWait", StringComparison.Ordinal));
        Assert.True(Ticks(running).Count > 20, $"the running pod's app ran on meanwhile\n{running.Transcript}");
        running.Signal(Native.SIGKILL);
    }

    [S3CriuFact]
    public void ACommitWhoseManifestAnswerIsHeldPastTheLeaseIsAbandonedAndTheAppKilledNotResumed()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        // The store answers the renewals only with errors: the lease is in doubt, and lost once that lasts leaseDoubtLimit.
        string config = Config("lost-mid-commit", "leaseDuration: 4s\nleaseDoubtLimit: 4s\ncheckpointBudget: 40s\ncheckpointTimeout: 30s\n");
        static bool IsManifest(string r) => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains("/manifest.json", StringComparison.Ordinal);
        // Renewals fail from the manifest's PUT on; the store writes the manifest and its answer is held past the lease's end, then lost.
        proxy.Matches = (method, path) => method == "PUT" && path.EndsWith("/.lock", StringComparison.Ordinal);
        proxy.BeforeForwarding = r =>
        {
            if (IsManifest(r))
            {
                proxy.Fail(int.MaxValue, 500);
            }
        };
        proxy.DropAnswers = r =>
        {
            if (!IsManifest(r))
            {
                return false;
            }
            Thread.Sleep(TimeSpan.FromSeconds(6));
            return true;
        };
        using CrikRun pod = Start(config, proxy.Endpoint, "trap 'echo app-got-term; exit 9' TERM; while :; do sleep 0.1; done");
        pod.WaitForLine("Started", TimeSpan.FromSeconds(60), stderr: true);

        pod.Signal(Native.SIGTERM);
        Assert.Equal(125, pod.WaitForExit(TimeSpan.FromSeconds(90)));

        // crik abandons the commit when the lease is lost (its retry would be fenced: S3ClientTests), kills the app and exits.
        Thread.Sleep(TimeSpan.FromSeconds(7));
        Assert.True(1 == proxy.Seen.Count(IsManifest), $"{string.Join('\n', proxy.Seen)}\n{pod.Transcript}");
        Assert.Contains(pod.Stderr, l => l.Contains("lost its lease", StringComparison.Ordinal) && l.Contains("was killed", StringComparison.Ordinal));
        Assert.DoesNotContain(pod.Stdout, l => l.Contains("app-got-term", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        _dir.Dispose();
        _server?.Dispose();
    }

    private string Config(string prefix, string extra) =>
        _dir.Write($"{prefix}.yaml", $"imageDir: s3://{S3Server.Bucket}/fencing/{prefix}\n{extra}");

    private CrikRun Start(string config, string endpoint, string script = Ticker, (string Variable, string Value)? seam = null)
    {
        Dictionary<string, string> environment = _server!.Environment(endpoint);
        if (seam is { } late)
        {
            environment[late.Variable] = late.Value;
        }
        return CrikRun.Start(["run", "--config", config, "--", "sh", "-c", script], environment: environment);
    }

    /// <summary>When each of a pod's "count N MILLISECONDS" lines was printed, by the wall clock.</summary>
    private static List<long> Ticks(CrikRun pod) =>
        pod.Stdout.Select(l => TickLine().Match(l)).Where(m => m.Success).Select(m => long.Parse(m.Groups[1].Value)).ToList();

    /// <summary>Every process in the pod's PID namespace: crik (its PID 1) first, then the app's.</summary>
    private static List<int> PodProcesses(CrikRun pod)
    {
        string ns = ProcessTable.NamespaceOf(pod.CrikPid, "pid");
        return [pod.CrikPid, .. ProcessTable.All().Select(e => e.Pid).Where(pid => pid != pod.CrikPid && Safe(() => ProcessTable.NamespaceOf(pid, "pid")) == ns)];
    }

    private static string Safe(Func<string> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    [GeneratedRegex(@"^count \d+ (\d+)$")]
    private static partial Regex TickLine();
}
