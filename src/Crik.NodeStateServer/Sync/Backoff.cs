namespace Crik.NodeStateServer.Sync;

/// <summary>Capped exponential backoff with jitter: each delay is between half and all of min(cap, initial * 2^n).</summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan cap, Random? random = null)
{
    private readonly Random _random = random ?? Random.Shared;
    private int _failures;

    public TimeSpan Next()
    {
        var ceiling = Math.Min(cap.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, Math.Min(_failures, 30)));
        _failures++;
        return TimeSpan.FromMilliseconds(ceiling / 2 + _random.NextDouble() * ceiling / 2);
    }

    public void Reset() => _failures = 0;
}
