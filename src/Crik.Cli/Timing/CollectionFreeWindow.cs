using System.Runtime;

namespace Crik.Cli.Timing;

/// <summary>
/// A stretch in which crik's garbage collector does not pause crik, from before CRIU stops the app for a dump to the moment
/// crik lets it run again: a collection there (19.6 ms, once in 61 periodic checkpoints of a 1 GiB app) stops the app as long.
/// The runtime makes room for <see cref="Bytes"/> of allocations at the start, collecting first if it must (the app still runs
/// then). Allocating more than that ends the window with a collection, as without it; so does a runtime that refuses it.
/// Not for two at once: the runtime has one such window (a second asked for while one is open would end it, so none is
/// asked for then), and crik dumps one checkpoint at a time.
/// </summary>
internal sealed class CollectionFreeWindow : IDisposable
{
    /// <summary>Room for what crik allocates while CRIU dumps and the app is held: the small images, the tree, the files' list.</summary>
    public const long Bytes = 32L << 20;

    private bool _open;

    public CollectionFreeWindow()
    {
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            return; // one is open already: asking for another would end it (the runtime throws, and leaves the mode)
        }
        try
        {
            _open = GC.TryStartNoGCRegion(Bytes);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException)
        {
            _open = false; // more than this runtime allows: collections as usual
        }
    }

    /// <summary>Whether the window is still open: no collection since it began.</summary>
    public bool Open => _open && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion;

    /// <summary>Ends the window, once; collections resume as usual.</summary>
    public void Dispose()
    {
        if (!_open)
        {
            return;
        }
        _open = false;
        if (GCSettings.LatencyMode != GCLatencyMode.NoGCRegion)
        {
            return; // more was allocated than the window held: it ended with a collection already
        }
        try
        {
            GC.EndNoGCRegion();
        }
        catch (InvalidOperationException)
        {
            // it ended on its own meanwhile (a collection between the look and the call)
        }
    }
}
