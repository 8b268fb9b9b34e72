using Crik.Cli.Timing;
using Crik.Cli.ObjectStorage;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>How a request gives up when the time crik has for the store runs out, whenever that happens.</summary>
public sealed class S3DeadlineTests : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task ARequestWhoseTimeRunsOutWhileItIsRetriedEndsInAnS3ExceptionWheneverThatIs()
    {
        var environment = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = "AK",
            ["AWS_SECRET_ACCESS_KEY"] = "SK",
            ["AWS_ENDPOINT_URL_S3"] = $"http://127.0.0.1:{FreePort.Get()}", // refuses connections: every attempt fails at once
        };
        // Pauses of about 2 ms between attempts, and a clock that moves 0 to 4 ms each time it is read, so
        // over the runs the deadline falls at every point of the retry loop. (Thread.Sleep throws on a
        // negative time, and sleeps for ever on -1 ms.)
        var retries = new S3RetryPolicy(1000, TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(2));
        S3Client s3 = TestS3.Client(environment, _http, retry: retries, clock: new JumpingClock());
        Task runs = Task.Run(() =>
        {
            for (int run = 0; run < 500; run++)
            {
                using (CallDeadline.Within(TimeSpan.FromMilliseconds(12)))
                {
                    var error = Assert.Throws<S3Exception>(() => s3.Put("a", new byte[] { 1 }));
                    Assert.Contains("the time crik had for the store ran out", error.Message, StringComparison.Ordinal);
                }
            }
        });
        await runs.WaitAsync(TimeSpan.FromSeconds(60)); // a TimeoutException: a retry slept past its deadline
    }

    public void Dispose() => _http.Dispose();

    private sealed class JumpingClock : TimeProvider
    {
        private readonly Random _random = new(20_240_601);
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow()
        {
            lock (_random)
            {
                return _now += TimeSpan.FromTicks(_random.NextInt64(0, 40_000));
            }
        }
    }
}
