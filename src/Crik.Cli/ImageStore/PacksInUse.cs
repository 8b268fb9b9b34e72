namespace Crik.Cli.ImageStore;

/// <summary>
/// Packs a reader still needs beyond the generations the store lists: a lazy fill reads the restored generation's chunks while
/// the app runs and checkpoints are committed, and retention may delete that generation meanwhile (keepCheckpoints, or a
/// checkpoint that stored its pages anew under a new key). A held pack is never deleted as unused. Safe from several threads.
/// </summary>
internal sealed class PacksInUse
{
    private readonly Dictionary<long, int> _holds = [];

    /// <summary>Holds these packs until the result is disposed (once; disposing again does nothing).</summary>
    public IDisposable Hold(IEnumerable<long> packs)
    {
        long[] held = [.. packs.Distinct()];
        lock (_holds)
        {
            foreach (long pack in held)
            {
                _holds[pack] = _holds.GetValueOrDefault(pack) + 1;
            }
        }
        return new Release(this, held);
    }

    public bool Holds(long pack)
    {
        lock (_holds)
        {
            return _holds.ContainsKey(pack);
        }
    }

    private void LetGo(long[] packs)
    {
        lock (_holds)
        {
            foreach (long pack in packs)
            {
                if (--_holds[pack] == 0)
                {
                    _holds.Remove(pack);
                }
            }
        }
    }

    private sealed class Release(PacksInUse owner, long[] packs) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.LetGo(packs);
            }
        }
    }
}
