namespace Crik.NodeStateServer.Http;

/// <summary>
/// The questions whose answer is held now (<c>waitMs</c>). A held answer keeps its connection in a request for up to 10 s, and
/// <see cref="ConnectionCap"/> makes room only by closing idle connections, so at most half of --max-connections are held at
/// once: past that a question is answered at once, and the other half of the cap stays for everyone else's questions. When the
/// server stops, every held question is answered at once (Endpoints says how), so that none is cut off by the host's shutdown.
/// </summary>
/// <param name="limit">At most this many held at once.</param>
/// <param name="released">Cancelled once every held answer is to be given now: the server is stopping.</param>
internal sealed class HeldAnswers(int limit, CancellationToken released)
{
    private long _held;
    private long _refused;

    /// <summary>Questions whose answer is held now.</summary>
    public long Count => Interlocked.Read(ref _held);

    /// <summary>Questions that asked for a hold and were answered at once because <c>limit</c> were held already.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>At most this many held at once: 0 where --max-connections is 1, and no answer is ever held.</summary>
    public int Limit => limit;

    public CancellationToken Released => released;

    /// <summary>Counts one more held answer; false where <c>limit</c> are held already, and the question is answered at once.</summary>
    public bool TryBegin()
    {
        long seen = Interlocked.Read(ref _held);
        while (seen < limit)
        {
            long was = Interlocked.CompareExchange(ref _held, seen + 1, seen);
            if (was == seen)
                return true;
            seen = was;
        }
        Interlocked.Increment(ref _refused);
        return false;
    }

    public void End() => Interlocked.Decrement(ref _held);
}
