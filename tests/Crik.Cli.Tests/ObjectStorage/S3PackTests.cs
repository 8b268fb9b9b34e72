using System.Security.Cryptography;
using Crik.Cli.Chunks;
using Crik.Cli.ImageStore;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.ObjectStorage;
using Crik.TestSupport;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>Packs written straight into s3rver as multipart uploads and read back chunk by chunk with ranged GETs.</summary>
public sealed class S3PackTests : IDisposable
{
    private const int PartBytes = 5 << 20;
    private readonly S3Server? _server = S3Server.Missing() is null || Prerequisites.InCi ? new S3Server() : null;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };

    [S3Fact]
    public void ChunksWrittenFromSeveralThreadsInAnyOrderAreReadBackAndMemoryStaysBounded()
    {
        S3Client s3 = Client();
        List<byte[]> chunks = Enumerable.Range(0, 40).Select(i => RandomNumberGenerator.GetBytes(RandomNumberGenerator.GetInt32(64 << 10, 2 << 20))).ToList();
        var upload = TestS3.PackUpload(s3, "packs/000001.pack", PartBytes);
        var refs = new ChunkRef[chunks.Count];
        using (var writer = new PackWriter(1, upload, new Dictionary<string, ChunkRef>(), ChunkCodec.Plain))
        {
            Parallel.For(0, chunks.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => refs[i] = writer.Add(chunks[i]));
            Assert.Null(s3.TryGetLength("packs/000001.pack")); // nothing visible before the upload completes
            upload.Complete();
        }
        Assert.Equal(chunks.Sum(c => (long)c.Length), s3.TryGetLength("packs/000001.pack"));
        Assert.True(upload.PeakBufferedBytes <= PartBytes + PackParts.MaxWaitingBytes + (2 << 20), $"{upload.PeakBufferedBytes} bytes buffered at most");

        using var reader = PackReading.Open(new ObjectBackend(s3, Serilog.Core.Logger.None), ChunkCodec.Plain);
        var buffer = new byte[PageChunker.MaxBytes];
        for (int i = 0; i < chunks.Count; i++)
        {
            reader.Read(refs[i], null, buffer);
            Assert.True(chunks[i].AsSpan().SequenceEqual(buffer.AsSpan(0, chunks[i].Length)), $"chunk {i}");
        }
    }

    [S3Fact]
    public void AnUploadThatNeverCompletesLeavesNoPackAndItsChunksAreMissing()
    {
        S3Client s3 = Client();
        ChunkRef written;
        var upload = TestS3.PackUpload(s3, "packs/000002.pack", PartBytes);
        using (var writer = new PackWriter(2, upload, new Dictionary<string, ChunkRef>(), ChunkCodec.Plain))
        {
            for (int i = 0; i < 4; i++)
            {
                writer.Add(RandomNumberGenerator.GetBytes(2 << 20)); // a part goes up
            }
            written = writer.Add(RandomNumberGenerator.GetBytes(1000));
            upload.Abort(); // s3rver cannot abort; the pod may also just be killed here
        }
        Assert.Null(s3.TryGetLength("packs/000002.pack"));
        using var reader = PackReading.Open(new ObjectBackend(s3, Serilog.Core.Logger.None), ChunkCodec.Plain);
        var error = Assert.Throws<ChunkException>(() => reader.Read(written, null, new byte[1000]));
        Assert.Contains("pack 2 holding chunk", error.Message, StringComparison.Ordinal);
    }

    [S3Fact]
    public void APackSmallerThanAPartIsOnePutAndPartsThatFailAreRetried()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        S3Client s3 = Client(proxy.Endpoint);
        byte[] small = RandomNumberGenerator.GetBytes(1234);
        var one = TestS3.PackUpload(s3, "packs/000003.pack", PartBytes);
        one.Write(small, 0);
        one.Complete();
        Assert.Equal(1, proxy.Requests);

        byte[] big = RandomNumberGenerator.GetBytes(PartBytes + 100);
        var two = TestS3.PackUpload(s3, "packs/000004.pack", PartBytes);
        proxy.Matches = (method, _) => method == "PUT";
        proxy.Fail(2, 500);
        two.Write(big, 0);
        proxy.Fail(1, 503);
        two.Complete();
        var back = new byte[200];
        Assert.Equal(back.Length, s3.TryReadRange("packs/000004.pack", PartBytes - 100, back));
        Assert.Equal(big[(PartBytes - 100)..], back);
    }

    [S3Fact]
    public void ACompletionWhoseAnswerIsLostIsTakenFromThePackTheStoreNowHas()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        S3Client s3 = Client(proxy.Endpoint);
        int completions = 0;
        proxy.DropAnswers = request => IsCompletion(request) && Interlocked.Increment(ref completions) == 1;
        // As S3 answers a completion repeated after it succeeded (s3rver fails it otherwise).
        proxy.Canned = request => IsCompletion(request) && Volatile.Read(ref completions) > 0
            ? (404, "<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>")
            : null;
        long length = CompleteAPack(s3, "packs/000006.pack");

        Assert.True(2 == proxy.Seen.Count(IsCompletion), string.Join("\n", proxy.Seen));
        Assert.Equal(length, s3.TryGetLength("packs/000006.pack"));
    }

    [S3Fact]
    public void ACompletionAnsweredWithAnErrorInsideA200IsRetried() => AnErrorInA200IsRetried(TimeSpan.Zero, "packs/000007.pack");

    [S3Fact]
    public void ACompletionTheStoreAnswersWithSpacesForLongerThanTheClientsLimitIsWaitedForOnce()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { CompletionWork = TimeSpan.FromSeconds(3) };
        using var quick = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        S3Client s3 = TestS3.Client(_server, quick, "", proxy.Endpoint);
        long length = CompleteAPack(s3, "packs/000021.pack");

        Assert.True(1 == proxy.Seen.Count(IsCompletion), string.Join("\n", proxy.Seen));
        Assert.Equal(length, s3.TryGetLength("packs/000021.pack"));
    }

    [S3Fact]
    public void AnErrorAfterTheSpacesOfASlowCompletionIsReadAsOneAndRetried() => AnErrorInA200IsRetried(TimeSpan.FromMilliseconds(500), "packs/000022.pack");

    /// <summary>The first completion is answered 200 with S3's InternalError inside, after spaces for <paramref name="work"/>: it is tried again.</summary>
    private void AnErrorInA200IsRetried(TimeSpan work, string key)
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { CompletionWork = work };
        S3Client s3 = Client(proxy.Endpoint);
        int completions = 0;
        proxy.Canned = request => IsCompletion(request) && Interlocked.Increment(ref completions) == 1 ? (200, InternalErrorIn200) : null;
        long length = CompleteAPack(s3, key);

        Assert.Equal(2, proxy.Seen.Count(IsCompletion));
        Assert.Equal(length, s3.TryGetLength(key));
    }

    [S3Fact]
    public void AFillsReadsAreTriedTwiceMoreAtMostAndCutWhenTheyStallAndSayWhetherTryingAgainCanHelp()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        S3Client s3 = Client(proxy.Endpoint);
        byte[] pack = RandomNumberGenerator.GetBytes(10_000);
        s3.Put("packs/000008.pack", pack);
        var backend = new ObjectBackend(s3, Serilog.Core.Logger.None);
        IStoreBackend fill = StoreStack.Over(backend, backend.NodeSide, ObjectGenerationStore.CallerRetries, TimeSpan.FromSeconds(1)).Top;
        using IPackSource source = PackReading.OpenPack(fill, "packs/000008.pack")!;
        var into = new byte[100];

        proxy.Matches = (method, _) => method == "GET";
        proxy.Fail(3, 503);
        int before = proxy.Requests;
        var slowDown = Assert.Throws<PackUnavailableException>(() => source.Read(into, 0)); // the caller hears at once, and retries itself
        Assert.Contains("503 SlowDown", slowDown.Message, StringComparison.Ordinal);
        Assert.Equal(3, proxy.Requests - before);
        Assert.Equal(100, source.Read(into, 0));
        Assert.Equal(pack[..100], into);

        proxy.BeforeForwarding = request => Thread.Sleep(request.StartsWith("GET", StringComparison.Ordinal) ? 5000 : 0);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var stalled = Assert.Throws<PackUnavailableException>(() => source.Read(into, 0));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{clock.Elapsed}: {stalled.Message}"); // three attempts of 1 s, not the HTTP client's 20 s
        Assert.Contains("no answer within 1 s", stalled.Message, StringComparison.Ordinal);
        proxy.BeforeForwarding = _ => { };

        s3.Delete("packs/000008.pack");
        Assert.Equal(ReadFailure.Permanent, ReadFailures.Classify(Assert.Throws<BlobMissingException>(() => source.Read(into, 0)))); // gone: trying again cannot help
    }

    [S3Fact]
    public void APartTheStoreKeepsRefusingFailsTheWriteInOneLine()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        S3Client s3 = Client(proxy.Endpoint);
        var upload = TestS3.PackUpload(s3, "packs/000005.pack", PartBytes);
        proxy.Matches = (method, _) => method == "PUT";
        proxy.Fail(100, 503);
        var error = Assert.Throws<S3Exception>(() => upload.Write(RandomNumberGenerator.GetBytes(PartBytes), 0));
        Assert.StartsWith("S3 PUT s3://crik-test/packs/000005.pack failed: 503 SlowDown", error.Message, StringComparison.Ordinal);
        upload.Abort();
        Assert.Null(s3.TryGetLength("packs/000005.pack"));
    }

    [S3Fact]
    public void APartThatFailedFailsEveryLaterWriteAndTheCompletionInOneLine()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        S3Client s3 = Client(proxy.Endpoint);
        var upload = TestS3.PackUpload(s3, "packs/000008.pack", PartBytes);
        proxy.Matches = (method, _) => method == "PUT";
        proxy.Fail(100, 503);
        Assert.Throws<S3Exception>(() => upload.Write(RandomNumberGenerator.GetBytes(PartBytes), 0));

        proxy.Fail(0, 503); // the store is back, but the pack has lost its first part
        var later = Assert.Throws<S3Exception>(() => upload.Write(RandomNumberGenerator.GetBytes(PartBytes), PartBytes));
        Assert.StartsWith("S3 PUT s3://crik-test/packs/000008.pack failed: 503 SlowDown", later.Message, StringComparison.Ordinal);
        Assert.Throws<S3Exception>(upload.Complete);
        upload.Abort();
        Assert.Null(s3.TryGetLength("packs/000008.pack"));
    }

    [S3Fact]
    public void AWriterWaitingForTheChunksBeforeItIsFreedWhenAPartFails()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        var upload = TestS3.PackUpload(Client(proxy.Endpoint), "packs/000009.pack", PartBytes);
        upload.Write(new byte[4 << 20], 6 << 20); // ahead of its turn: held in memory
        Exception? waited = null;
        var writer = new Thread(() => waited = Record.Exception(() => upload.Write(new byte[PartBytes], 10 << 20)));
        writer.Start(); // more than MaxWaitingBytes ahead: waits for the chunks before it
        try
        {
            Poll.Until(() => writer.ThreadState.HasFlag(ThreadState.WaitSleepJoin), "the writer to wait");
            proxy.Matches = (method, _) => method == "PUT";
            proxy.Fail(100, 503);
            Assert.Throws<S3Exception>(() => upload.Write(new byte[PartBytes], 0)); // fills part 1, whose upload fails

            Assert.True(writer.Join(TimeSpan.FromSeconds(10)), "the waiting writer is still blocked");
            Assert.IsType<S3Exception>(waited);
        }
        finally
        {
            upload.Abort();
            writer.Join();
        }
    }

    [S3Fact]
    public void AnEmptyChunkTakesNoChunksPlace()
    {
        S3Client s3 = Client();
        byte[] first = RandomNumberGenerator.GetBytes(100), second = RandomNumberGenerator.GetBytes(100);
        var upload = TestS3.PackUpload(s3, "packs/000010.pack", PartBytes);
        upload.Write(second, 100); // ahead of its turn
        upload.Write([], 100); // an empty chunk gets the offset the next chunk starts at
        upload.Write(first, 0);
        upload.Complete();
        Assert.Equal(first.Concat(second).ToArray(), s3.TryGet("packs/000010.pack"));
    }

    [S3Fact]
    public void AnUploadAbortedWhileItStartsIsAbortedOnceStarted()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint)
        {
            // s3rver cannot abort; S3 answers 204.
            Canned = request => request.StartsWith("DELETE ", StringComparison.Ordinal) && request.Contains("uploadId=", StringComparison.Ordinal) ? (204, "") : null,
        };
        var upload = TestS3.PackUpload(Client(proxy.Endpoint), "packs/000011.pack", 1024);
        var aborting = new Thread(() => upload.Abort());
        proxy.BeforeForwarding = request =>
        {
            if (request.StartsWith("POST ", StringComparison.Ordinal) && request.EndsWith("?uploads", StringComparison.Ordinal))
            {
                aborting.Start(); // the pod gives up on the checkpoint while its upload is being started
                Thread.Sleep(300);
            }
        };
        Record.Exception(() => upload.Write(new byte[1024], 0)); // a full part: the upload starts
        Assert.True(aborting.Join(TimeSpan.FromSeconds(10)));
        Assert.Contains(proxy.Seen, r => r.StartsWith("DELETE /crik-test/packs/000011.pack?uploadId=", StringComparison.Ordinal));
    }

    [S3Fact]
    public void APackNumberedAMillionCountsTowardsTheNextGenerationInTheStore()
    {
        S3Client s3 = Client();
        s3.Put("app/packs/1000000.pack", new byte[10]);
        using var store = new ObjectGenerationStore(TestS3.Client(_server!, _http, "app/"), new LoggerConfiguration().CreateLogger());
        StagingCheckpoint staging = store.BeginCheckpoint();
        Assert.Equal(1_000_001, staging.Generation);
        store.Abandon(staging);
    }

    public void Dispose()
    {
        _http.Dispose();
        _server?.Dispose();
    }

    private const string InternalErrorIn200 =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>";

    /// <summary>Uploads a part and a little more to <paramref name="key"/> and completes the upload: the pack's length.</summary>
    private static long CompleteAPack(S3Client s3, string key)
    {
        byte[] big = RandomNumberGenerator.GetBytes(PartBytes + 100);
        var upload = TestS3.PackUpload(s3, key, PartBytes);
        upload.Write(big, 0);
        upload.Complete();
        Assert.True(upload.Completed);
        return big.Length;
    }

    private static bool IsCompletion(string request) => request.StartsWith("POST ", StringComparison.Ordinal) && request.Contains("uploadId=", StringComparison.Ordinal);

    private S3Client Client(string? endpoint = null) => TestS3.Client(_server!, _http, "", endpoint);
}
