using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Crik.Cli.Observing;

/// <summary>
/// Counts kept where the work happens, far from any <see cref="Happening"/>: the image store's requests and the
/// node-state server's answers. A count is one interlocked add, with or without /metrics; <see cref="CrikMetrics"/>
/// reads them at each scrape. They are process-wide, as crik runs one store and one node-state client.
/// </summary>
internal static class Tallies
{
    public const string Volume = "volume";
    public const string S3 = "s3";

    private static readonly ConcurrentDictionary<(string Backend, string Operation), StrongBox<long>> StoreRequests = new();
    private static readonly ConcurrentDictionary<(string Backend, string Operation), StrongBox<long>> StoreErrors = new();
    private static readonly ConcurrentDictionary<string, StrongBox<long>> StoreRetries = new();
    private static readonly ConcurrentDictionary<string, StrongBox<long>> NodeStateAnswers = new();

    /// <summary>One request to the store (however many attempts it took), and whether it failed in the end.</summary>
    /// <remarks>Its error and retry counts are there from the first request, at 0, so that an alert's increase() sees the first error.</remarks>
    public static void StoreRequest(string backend, string operation, bool failed = false)
    {
        Interlocked.Increment(ref Box(StoreRequests, (backend, operation)).Value);
        StrongBox<long> errors = Box(StoreErrors, (backend, operation));
        if (failed)
        {
            Interlocked.Increment(ref errors.Value);
        }
        Box(StoreRetries, backend);
    }

    /// <summary>One more attempt at a request the store did not answer well the first time.</summary>
    public static void StoreRetry(string backend) => Interlocked.Increment(ref Box(StoreRetries, backend).Value);

    /// <summary>One question to the node-state server: its verdict (ready, at_risk, shutting_down, unknown) or error.</summary>
    public static void NodeStateAnswer(string answer) => Interlocked.Increment(ref Box(NodeStateAnswers, answer).Value);

    public static List<((string Backend, string Operation) Key, long Count)> StoreRequestCounts => Read(StoreRequests);

    public static List<((string Backend, string Operation) Key, long Count)> StoreErrorCounts => Read(StoreErrors);

    public static List<(string Key, long Count)> StoreRetryCounts => Read(StoreRetries);

    public static List<(string Key, long Count)> NodeStateAnswerCounts => Read(NodeStateAnswers);

    private static StrongBox<long> Box<TKey>(ConcurrentDictionary<TKey, StrongBox<long>> counts, TKey key) where TKey : notnull =>
        counts.GetOrAdd(key, static _ => new StrongBox<long>());

    private static List<(TKey Key, long Count)> Read<TKey>(ConcurrentDictionary<TKey, StrongBox<long>> counts) where TKey : notnull =>
        counts.Select(c => (c.Key, Interlocked.Read(ref c.Value.Value))).OrderBy(c => c.Key).ToList();
}
