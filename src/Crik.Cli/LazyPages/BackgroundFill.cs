using Crik.Cli.Guarding;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

/// <summary>
/// The background fill, on its own thread (<see cref="MemoryFiller.FillerThread"/>): everything the app has not asked for,
/// once CRIU has restored every process. The chunks to fill first, then every chunk a process still misses pages of, in the
/// images' order, reading <see cref="ReadAhead"/> chunks ahead; it passes again for what a fork left to fill meanwhile. A
/// checkpoint taken while the memory arrives holds it (<see cref="BackgroundHold"/>).
/// </summary>
internal sealed class BackgroundFill
{
    /// <summary>Chunks read ahead of the background fill.</summary>
    private const int ReadAhead = 8;

    private readonly FillParts _parts;
    private readonly BackgroundHold _hold;
    private readonly IReadOnlyList<(int PagesId, int Index)> _first;

    /// <summary>The app runs while the fill goes on (a lazy restore): the fill's work ahead yields the CPU to it.</summary>
    private readonly bool _appRunsMeanwhile;

    private volatile bool _done;

    /// <param name="parts">What it shares with the events thread, whose poll it wakes when it is done (the fill ends once no process is left).</param>
    /// <param name="first">The chunks to fill first.</param>
    public BackgroundFill(FillParts parts, BackgroundHold hold, IReadOnlyList<(int PagesId, int Index)> first, bool appRunsMeanwhile)
    {
        _parts = parts;
        _hold = hold;
        _first = first;
        _appRunsMeanwhile = appRunsMeanwhile;
    }

    /// <summary>CRIU has restored every process (or the fill failed first): the background fill has started.</summary>
    public bool Started => _hold.Restored;

    /// <inheritdoc cref="BackgroundHold.Held"/>
    public bool Held => _hold.Held;

    /// <summary>The background fill has nothing more to fill (or gave up): the fill ends once every process is let go of.</summary>
    public bool Done => _done;

    /// <summary>
    /// Fills everything the app has not asked for, once CRIU has restored every process: the chunks to
    /// fill first, then every chunk a process still misses pages of, in the images' order, reading
    /// <see cref="ReadAhead"/> chunks ahead. Passes again for what a fork left to fill meanwhile.
    /// </summary>
    public void FillInBackground()
    {
        try
        {
            _hold.WaitForRestore();
            FaultSeam.Hit(MemoryFiller.FillerThread);
            _hold.WaitWhileHeld(); // held, the fill neither copies nor ends (its reads stay open for the checkpoint)
            FillAll([.. _first], _first.Count); // before listing the rest, which takes a while when the memory is in tens of thousands of pieces
            List<(int PagesId, int Index)> previous = [];
            long missingBefore = long.MaxValue;
            while (!_parts.Failure.Failed)
            {
                _hold.WaitWhileHeld();
                List<(int PagesId, int Index)> order = _parts.Spaces.MissingChunks();
                long missing = _parts.Spaces.MissingPages();
                if (order.Count == 0)
                {
                    if (missing == 0)
                    {
                        break;
                    }
                    Thread.Sleep(1); // a child forked while the chunks were listed: list them again
                    continue;
                }
                if (missing >= missingBefore && order.SequenceEqual(previous))
                {
                    _parts.Failure.FailWithProof($"{missing} pages of the app's memory could not be filled from their chunks (the images do not line up)");
                    break;
                }
                (previous, missingBefore) = (order, missing);
                FillAll(order, 0);
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            _parts.Failure.Fail($"the app's memory could not be filled: {e.Message}");
        }
        finally
        {
            _done = true;
            _parts.Poll.Wake();
        }
    }

    /// <param name="first">How many chunks at the start of <paramref name="order"/> are those to fill first: in a lazy
    /// restore they are what the app is about to touch, so they are copied at the app's own CPU priority (read already,
    /// they take a few milliseconds), and only the fill after them yields the CPU to the app.</param>
    private void FillAll(List<(int PagesId, int Index)> order, int first)
    {
        var window = new Queue<(int PagesId, int Index, Task<byte[]> Read)>();
        int next = 0, copied = 0;
        // No process left (each has all its memory, or ended): nothing reads the rest, and the load ends with the app.
        while (!_parts.Failure.Failed && (next < order.Count || window.Count > 0) && _parts.Spaces.AnyLeft())
        {
            if (copied++ == first && _appRunsMeanwhile)
            {
                BackgroundThread.YieldToTheApp();
            }
            while (window.Count < ReadAhead && next < order.Count)
            {
                (int pagesId, int index) = order[next++];
                window.Enqueue((pagesId, index, _parts.Reads.Get(pagesId, index, urgent: false)));
            }
            (int image, int chunk, Task<byte[]> read) = window.Dequeue();
            FillPace.Wait();
            _hold.WaitWhileHeld();
            _parts.Placer.Arrived(image, chunk, read);
        }
    }
}
