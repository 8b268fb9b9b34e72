using System.Runtime.ExceptionServices;
using Crik.Cli.ObjectStorage;
using Crik.Cli.Observing;
using Crik.Cli.Timing;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// The retry wrapper: a call that fails in a way the store may take back (<see cref="BackendRetry.TakesBack"/>) is sent again
/// after a jittered pause that doubles, up to <see cref="BackendRetry.Attempts"/> in all, each retry counted in
/// crik_store_retries_total; any other failure, or the last one, goes to the caller. The pauses end with
/// <paramref name="deadline"/>'s time; an attempt after it fails unsent (<see cref="DeadlineBackend"/> below), and the caller then
/// hears the store's last failure, which says what happened (no answer: a write may have landed).
/// </summary>
internal sealed class RetryingBackend(IStoreBackend inner, BackendRetry retry, StepDeadline deadline) : BackendWrapper(inner)
{
    protected override TResult Around<TState, TResult>(StoreOperation operation, TState state, Func<TState, TResult> work)
    {
        if (operation == StoreOperation.Lock)
        {
            return work(state); // a lease retries its own requests for as long as the lock is waited for; a flock has none
        }
        IOException? failed = null;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return work(state);
            }
            catch (OutOfTimeException) when (failed is not null)
            {
                // What the store did is what the caller must hear (no answer may mean the write landed), not that time ran out since.
                ExceptionDispatchInfo.Capture(failed).Throw();
                throw;
            }
            catch (IOException e) when (attempt < retry.Attempts && BackendRetry.TakesBack(e))
            {
                failed = e;
                Tallies.StoreRetry(retry.BackendName);
                TimeSpan pause = retry.Delay(attempt), left = deadline.TimeLeft();
                Thread.Sleep(pause < left ? pause : left > TimeSpan.Zero ? left : TimeSpan.Zero);
            }
        }
    }
}

/// <summary>How often and how patiently a backend's calls that the store may yet answer are sent again (<see cref="RetryingBackend"/>).</summary>
/// <param name="BackendName">The backend's name in crik_store_retries_total.</param>
internal sealed record BackendRetry(int Attempts, TimeSpan FirstDelay, TimeSpan MaxDelay, string BackendName)
{
    /// <summary>None: every failure goes to the caller (a volume's, whose calls are not requests that can be lost on the way).</summary>
    public static BackendRetry None(string backendName) => new(1, TimeSpan.Zero, TimeSpan.Zero, backendName);

    /// <summary>As <paramref name="policy"/> says of S3's requests: its attempts and pauses.</summary>
    public static BackendRetry As(S3RetryPolicy policy, string backendName) => new(policy.Attempts, policy.FirstDelay, policy.MaxDelay, backendName);

    /// <summary>
    /// Whether the store may take back <paramref name="failure"/>: object storage's request that got no answer or a transient one
    /// (<see cref="S3RetryPolicy.IsRetried"/>). A volume's failures never are (they are not requests lost on the way).
    /// </summary>
    public static bool TakesBack(IOException failure) => failure is S3Exception s && S3RetryPolicy.IsRetried(s.Status, s.Code);

    /// <summary>The pause after attempt <paramref name="attempt"/>: half the doubling delay, plus up to <see cref="FirstDelay"/> of jitter.</summary>
    public TimeSpan Delay(int attempt) =>
        TimeSpan.FromTicks((Math.Min(MaxDelay.Ticks, FirstDelay.Ticks << Math.Min(attempt - 1, 16)) / 2) + Random.Shared.NextInt64(Math.Max(1, FirstDelay.Ticks)));
}
