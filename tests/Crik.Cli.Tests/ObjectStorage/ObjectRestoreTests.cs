using Crik.Cli.ImageStore;
using Crik.Cli.ObjectStorage;
using Crik.Cli.Records;
using Crik.TestSupport;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>Beginning a restore and setting aside one that failed, when the store fails or is slow part-way.</summary>
public sealed class ObjectRestoreTests : IDisposable
{
    private readonly S3Server? _server = S3Server.Missing() is null || Prerequisites.InCi ? new S3Server() : null;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [S3Fact]
    public void ARestoreWhoseRecordCannotBeWrittenGoesOnUncounted()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        S3Client s3 = Committed(811, 812);
        using var store = Store(proxy.Endpoint);
        proxy.Matches = (method, path) => method == "PUT" && path.Contains("/restores/000812-", StringComparison.Ordinal);
        proxy.Fail(100, 500);

        using (store.BeginRestore(Checkpoint(812)))
        {
            Assert.Single(RestoreScratch(812));
        }
        Assert.NotNull(s3.TryGet("checkpoint-000811/manifest.json"));
        Assert.NotNull(s3.TryGet("checkpoint-000812/manifest.json"));
        Assert.Empty(s3.List("restores/"));
        Assert.Empty(RestoreScratch(812));
    }

    /// <summary>
    /// The store wrote the restore's record but its answer was lost, and the request sent again found that record there: it
    /// is this restore's, so no second record is written beside it, and a restore that did not happen leaves none (a record
    /// left behind counts as a restore that died, and enough of them set a good checkpoint aside).
    /// </summary>
    [S3Fact]
    public void ARestoreRecordWhoseAnswerWasLostIsTheOneTheRetryFinds()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        S3Client s3 = Committed(815);
        using var store = Store(proxy.Endpoint);
        int puts = 0;
        proxy.DropAnswers = r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains("/restores/000815-", StringComparison.Ordinal)
            && Interlocked.Increment(ref puts) == 1;

        RestoreAttempt attempt = store.BeginRestore(Checkpoint(815));
        Assert.True(proxy.Seen.Count(r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains("/restores/000815-001", StringComparison.Ordinal)) >= 2,
            "the record's answer was never lost: " + string.Join(", ", proxy.Seen));
        Assert.EndsWith("restores/000815-001", Assert.Single(s3.List("restores/")).Name, StringComparison.Ordinal);
        store.CancelRestore(attempt);
        Assert.Empty(s3.List("restores/"));
    }

    /// <summary>
    /// The mark that a restored app lived on could not be written (the store failed): it is written at the next try (the
    /// next commit's), not forgotten, so that a later crash does not count this restore as one that died.
    /// </summary>
    [S3Fact]
    public void AMarkThatTheRestoredAppLivedOnThatCouldNotBeWrittenIsWrittenAtTheNextTry()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        S3Client s3 = Committed(816);
        using var store = Store(proxy.Endpoint);
        using (RestoreAttempt attempt = store.BeginRestore(Checkpoint(816)))
        {
            store.RestoreSucceeded(attempt);
        }
        proxy.Matches = (method, path) => method == "PUT" && path.Contains("/restores/000816-001-ran", StringComparison.Ordinal);
        proxy.Fail(100, 500);
        Assert.ThrowsAny<IOException>(store.MarkRestoreSurvived);
        Assert.DoesNotContain(s3.List("restores/"), o => o.Name.EndsWith("-ran", StringComparison.Ordinal));

        proxy.Fail(0, 500);
        store.MarkRestoreSurvived();
        Assert.Contains(s3.List("restores/"), o => o.Name.EndsWith("restores/000816-001-ran", StringComparison.Ordinal));
    }

    [S3Fact]
    public void ARestoreAttemptLeftByAnExceptionTakesItsScratchDirectoryWithIt()
    {
        Committed(813);
        using var store = Store();
        RestoreAttempt attempt = store.BeginRestore(Checkpoint(813));
        Assert.Single(RestoreScratch(813));
        attempt.Dispose(); // the restorer's using, when something threw before the attempt's end
        Assert.Empty(RestoreScratch(813));
    }

    [S3Fact]
    public void AFailedRestoreIsSetAsideWithItsReasonEvenWhenCriusLogTakesAllTheTimeLeft()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        S3Client s3 = Committed(814);
        using var store = Store(proxy.Endpoint);
        RestoreAttempt attempt = store.BeginRestore(Checkpoint(814));
        File.WriteAllText(attempt.Criu.LogFile, "Error (criu/cr-restore.c:1234): a long log\n");
        proxy.BeforeForwarding = request =>
        {
            if (request.StartsWith("PUT /crik-test/app/logs/", StringComparison.Ordinal))
            {
                Thread.Sleep(TimeSpan.FromSeconds(4)); // a log upload slower than the time left
            }
        };
        using (store.Within(TimeSpan.FromSeconds(2)))
        {
            store.RestoreFailed(attempt, "restore failed: criu exited with 1");
        }

        S3Object reason = Assert.Single(s3.List("set-aside/"), o => o.Name.EndsWith(StoreLayout.SetAsideReasonFile, StringComparison.Ordinal));
        Assert.Equal("restore failed: criu exited with 1\n", System.Text.Encoding.UTF8.GetString(s3.TryGet(reason.Name)!));
        Assert.Contains(s3.List("set-aside/"), o => o.Name.EndsWith("/manifest.json", StringComparison.Ordinal));
        Assert.DoesNotContain(s3.List("retired/"), o => o.Name.EndsWith("manifest.json", StringComparison.Ordinal));
    }

    /// <summary>
    /// The store deleted a generation's manifest at its old place, as its move to set-aside/ asked, but the answer was lost: the
    /// delete sent again finds nothing there, and the generation is set aside with its reason, not taken for one that vanished
    /// before crik could move it.
    /// </summary>
    [S3Fact]
    public void AGenerationWhoseMovesLastAnswerWasLostIsSetAsideWithItsReason()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        S3Client s3 = Committed(817);
        using var store = Store(proxy.Endpoint);
        int deletes = 0;
        proxy.DropAnswers = r => r.StartsWith("DELETE ", StringComparison.Ordinal) && r.Contains("/checkpoint-000817/manifest.json", StringComparison.Ordinal)
            && Interlocked.Increment(ref deletes) == 1;

        store.SetAside(Checkpoint(817), "the app crashed at once");

        Assert.True(deletes >= 2, "the delete's answer was never lost: " + string.Join(", ", proxy.Seen));
        Assert.Empty(s3.List("checkpoint-000817/"));
        S3Object reason = Assert.Single(s3.List("set-aside/"), o => o.Name.EndsWith(StoreLayout.SetAsideReasonFile, StringComparison.Ordinal));
        Assert.Equal("the app crashed at once\n", System.Text.Encoding.UTF8.GetString(s3.TryGet(reason.Name)!));
        Assert.Contains(s3.List("set-aside/"), o => o.Name.EndsWith("/manifest.json", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        _http.Dispose();
        _server?.Dispose();
    }

    private static CommittedCheckpoint Checkpoint(long generation) =>
        new(StoreLayout.CommittedName(generation), "", new Manifest { Generation = generation, RootPid = 9001, Command = ["app"] });

    /// <remarks>Generations in the 800s: other tests on this machine may be restoring low ones meanwhile.</remarks>
    private static List<string> RestoreScratch(long generation) =>
        Directory.EnumerateDirectories(Path.GetTempPath(), $"crik-restore-{generation:D6}-*").ToList();

    /// <summary>Committed generations as the store lists them (their manifests are moved as they are, unread).</summary>
    private S3Client Committed(params long[] generations)
    {
        S3Client s3 = TestS3.Client(_server!, _http, "app/");
        foreach (long generation in generations)
        {
            s3.Put($"{StoreLayout.CommittedName(generation)}/manifest.json", "{}"u8.ToArray());
        }
        return s3;
    }

    private ObjectGenerationStore Store(string? endpoint = null) =>
        new(TestS3.Client(_server!, _http, "app/", endpoint), new LoggerConfiguration().CreateLogger());
}
