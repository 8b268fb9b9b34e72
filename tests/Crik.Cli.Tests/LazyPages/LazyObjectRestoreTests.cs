using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// Lazy restores from object storage (s3rver on loopback): pages come by range from the packs as the
/// app touches them, and a store that stops answering part-way for longer than lazyStoreWait ends the
/// pod with a clear line instead of leaving the app hung on a page.
/// </summary>
public sealed class LazyObjectRestoreTests : IDisposable
{
    private static readonly string[] App = ["python3", Paths.App("forking-memory.py"), "96"];
    private readonly S3Server? _server = Prerequisites.InCi || (Prerequisites.MissingForCriu() ?? S3Server.Missing()) is null ? new S3Server() : null;
    private readonly TempDirectory _dir = new();

    [S3CriuFact]
    public void AnEncryptedCheckpointInObjectStorageIsRestoredLazilyAndAStoreThatStopsAnsweringEndsThePodWithoutAHang()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        string key = _dir.Write("key", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        string config = _dir.Write("config.yaml", $"imageDir: s3://{S3Server.Bucket}/apps/lazy\nencryptionKeyFile: {key}\ncompression: zstd\nlazyRestore: on\nlazyStoreWait: 20s\n");
        using (CrikRun first = Start(config, proxy.Endpoint))
        {
            first.WaitForLine("allocated 96", TimeSpan.FromSeconds(60));
            Pods.CheckpointAndStopBetweenForks(first);
        }
        using (CrikRun second = Start(config, proxy.Endpoint))
        {
            Assert.Contains(", lazily (", second.WaitForLine("Restored checkpoint 1 ", stderr: true), StringComparison.Ordinal);
            second.WaitForLine("the app's memory is all in", TimeSpan.FromSeconds(60), stderr: true);
            int from = second.Stdout.Count;
            second.WaitForLine(_ => second.Stdout.Skip(from).Any(l => l == "child intact yes"), TimeSpan.FromSeconds(60));
            Assert.DoesNotContain(second.Stdout, l => l.EndsWith("intact no", StringComparison.Ordinal));
            Pods.CheckpointAndStopBetweenForks(second);
        }

        // A slow store, whose reads of the packs stop being answered once the app runs again with its
        // memory still arriving (the lease is still renewed: only the page source fails). The fill is held
        // until then, so that the memory is still arriving however fast the machine.
        proxy.Delay = TimeSpan.FromMilliseconds(100);
        string fillHold = _dir.Write("fill-held", "");
        using CrikRun third = Start(config, proxy.Endpoint, fillHold);
        third.WaitForLine("Restored checkpoint 2 ", TimeSpan.FromSeconds(60), stderr: true);
        proxy.BeforeForwarding = request =>
        {
            if (request.StartsWith("GET", StringComparison.Ordinal) && request.Contains("/packs/", StringComparison.Ordinal))
            {
                Thread.Sleep(TimeSpan.FromMinutes(2));
            }
        };
        File.Delete(fillHold);
        Assert.Equal(125, third.WaitForExit(TimeSpan.FromSeconds(120)));
        Assert.DoesNotContain(third.Stdout, l => l.EndsWith("intact no", StringComparison.Ordinal));
        Assert.DoesNotContain(third.Stderr, l => l.Contains("the app's memory is all in", StringComparison.Ordinal));
        string line = Assert.Single(third.Stderr, l => l.Contains("the app's memory could not all be brought in", StringComparison.Ordinal));
        Assert.Contains("the image store did not answer for 20 s (lazyStoreWait)", line, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _server?.Dispose();
        _dir.Dispose();
    }

    private CrikRun Start(string config, string endpoint, string? fillHold = null)
    {
        Dictionary<string, string> environment = _server!.Environment(endpoint);
        if (fillHold is not null)
        {
            environment["CRIK_TEST_FILL_HOLD_FILE"] = fillHold;
        }
        environment["TMPDIR"] = Directory.CreateDirectory(Path.Combine(_dir.Path, "tmp")).FullName;
        return CrikRun.Start(["run", "--config", config, "--", .. App], environment: environment);
    }
}
