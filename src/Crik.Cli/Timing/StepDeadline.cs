namespace Crik.Cli.Timing;

/// <summary>
/// How long a step's requests may still take, for everything that sends them (ImageStore's DeadlineBackend and RetryingBackend,
/// an S3 client's own requests): none until a step sets one (<see cref="Within"/>: a checkpoint must leave the app its SIGTERM
/// within the grace period, however the store behaves).
/// </summary>
internal sealed class StepDeadline(TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private long _deadlineTicks;

    /// <summary>Until disposed, every call gives up once <paramref name="limit"/> has passed; one asked for after that fails at once.</summary>
    public IDisposable Within(TimeSpan limit)
    {
        long previous = Interlocked.Exchange(ref _deadlineTicks, (_clock.GetUtcNow() + limit).UtcTicks);
        return new Scope(this, previous);
    }

    /// <summary>The time left; <see cref="TimeSpan.MaxValue"/> while no step set one.</summary>
    public TimeSpan TimeLeft()
    {
        long deadline = Interlocked.Read(ref _deadlineTicks);
        return deadline == 0 ? TimeSpan.MaxValue : new TimeSpan(deadline - _clock.GetUtcNow().UtcTicks);
    }

    private sealed class Scope(StepDeadline owner, long previous) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Exchange(ref owner._deadlineTicks, previous);
            }
        }
    }
}
