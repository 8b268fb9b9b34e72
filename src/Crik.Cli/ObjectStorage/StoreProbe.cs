using Crik.Cli.Timing;

namespace Crik.Cli.ObjectStorage;

/// <summary>What <c>crik check</c> found out about an object store by using it.</summary>
/// <param name="Problem">Why crik cannot use the store (one line saying what to check), or null when it can.</param>
/// <param name="ConditionalWrites">Whether the store honors If-None-Match and If-Match; null when that was not learnt.</param>
internal sealed record StoreProbeResult(string? Problem, bool? ConditionalWrites);

/// <summary>
/// Does to an object store, in little, what a checkpoint does: lists the prefix, writes an object
/// only if absent, then deletes it. Writing it a second time only if absent, and once only if its
/// ETag is one it never had, shows whether the store honors conditional writes (the lease that
/// keeps a second pod out needs them). The probe object is deleted whatever happens.
/// </summary>
internal static class StoreProbe
{
    private static readonly TimeSpan DeleteLimit = TimeSpan.FromSeconds(5);

    public static StoreProbeResult Run(S3Client s3, TimeSpan limit)
    {
        string name = $".crik-check-{Guid.NewGuid():N}";
        ReadOnlyMemory<byte> body = "written by crik check, which deletes it at once\n"u8.ToArray();
        bool written = false;
        CallDeadline.Scope deadline = CallDeadline.Within(limit);
        try
        {
            _ = s3.List(".crik-check-");
            written = true; // from here on the object may exist, even if the PUT's answer is lost
            // Refused the first time (a retry of a write that landed but lost its answer), it was already kept out.
            string? first = s3.PutIfAbsent(name, body);
            bool keptOut = first is null || s3.PutIfAbsent(name, body) is null;
            bool matchedOnly = s3.PutIfMatch(name, body, "\"crik-check-no-such-etag\"") is null;
            bool tagged = first != ""; // a lease needs each write's ETag to make the next conditional on it
            return new StoreProbeResult(null, keptOut && matchedOnly && tagged);
        }
        catch (S3Exception e)
        {
            return new StoreProbeResult(e.Message, null);
        }
        finally
        {
            deadline.Dispose();
            if (written)
            {
                try
                {
                    // A time of its own: the probe's may be spent, and the object must not stay behind.
                    using CallDeadline.Scope deleting = CallDeadline.Within(DeleteLimit);
                    s3.Delete(name);
                }
                catch (S3Exception)
                {
                    // The store failed already (that is the finding), or the time ran out: the object is a few bytes.
                }
            }
        }
    }
}
