using Crik.Cli.Timing;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// The deadline wrapper: a call asked for once <paramref name="deadline"/>'s time is spent fails at once, unsent
/// (<see cref="OutOfTimeException"/>); one that is sent may take no longer than the time left, nor than
/// <paramref name="perRequest"/>, and is cut when it stalls (<see cref="CallDeadline"/>: object storage cuts its HTTP attempt then).
/// Below <see cref="RetryingBackend"/>, each attempt gets its own <paramref name="perRequest"/>.
/// </summary>
/// <param name="perRequest">The longest one call may take; <see cref="Timeout.InfiniteTimeSpan"/> for none beyond the deadline.</param>
internal sealed class DeadlineBackend(IStoreBackend inner, StepDeadline deadline, TimeSpan perRequest) : BackendWrapper(inner)
{
    protected override TResult Around<TState, TResult>(StoreOperation operation, TState state, Func<TState, TResult> work)
    {
        TimeSpan left = deadline.TimeLeft();
        if (left <= TimeSpan.Zero)
        {
            throw new OutOfTimeException($"a {operation.Name} in {Description.ImageDir} was not sent: the time crik had for the store ran out");
        }
        TimeSpan limit = perRequest > TimeSpan.Zero && perRequest < left ? perRequest : left;
        using (CallDeadline.Within(limit))
        {
            return work(state);
        }
    }
}

/// <summary>A call not sent because the time for the store ran out (<see cref="DeadlineBackend"/>).</summary>
internal sealed class OutOfTimeException(string message) : IOException(message);
