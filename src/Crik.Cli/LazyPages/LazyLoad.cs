using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Processes;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.LazyPages;

/// <summary>
/// The memory of a lazily restored app on its way in: crik listens where <c>criu restore --lazy-pages</c>
/// hands over the app's userfaultfds (<see cref="UserfaultHandoff"/>) and fills them itself
/// (<see cref="MemoryFiller"/>); no lazy-pages daemon of CRIU's runs. It ends when every page is in
/// (<see cref="Loaded"/> is null) or failed (why); on a failure the app is killed first.
/// </summary>
internal sealed class LazyLoad : IUserfaultReceiver, IDisposable
{
    /// <summary>How long the restore may take to say every process is restored, once it has ended.</summary>
    private static readonly TimeSpan HandoffWait = TimeSpan.FromSeconds(10);

    private readonly LazyImages _images;
    private readonly PackReader _packs;
    private readonly MemoryFiller _filler;
    private readonly UserfaultHandoff _handoff;
    private readonly IReadOnlyList<TouchedRange>? _touchedBefore;
    private readonly StoreOutage _outage;
    private int _disposed;

    private LazyLoad(LazyImages images, PackReader packs, CriuWorkDir work, IReadOnlyList<TouchedRange>? touchedBefore, IAppKiller app, StoreOutage outage,
        bool appRunsMeanwhile)
    {
        _images = images;
        _packs = packs;
        _touchedBefore = touchedBefore;
        _outage = outage;
        // Listening first: a socket that cannot be bound leaves no fill behind. Nothing arrives before CRIU starts.
        // A handoff that ends without every process (the restore failed, or the handoff itself did): whatever of the app runs is killed at once.
        _handoff = UserfaultHandoff.Listen(work, this);
        try
        {
            _filler = new MemoryFiller(images, Readers, app, outage, appRunsMeanwhile);
        }
        catch
        {
            _handoff.Dispose();
            throw;
        }
        Loaded = EndAsync();
    }

    /// <summary>Threads reading chunks: enough to keep a store with some latency busy, not so many that they starve the app.</summary>
    private static int Readers => Math.Clamp(Environment.ProcessorCount * 2, 4, 16);

    /// <summary>Where CRIU reads the images (all but the lazy pages) from.</summary>
    public string ImagesDir => _images.ImagesDir;

    /// <summary>Null once every page is in; why not, when loading failed (the app was killed first).</summary>
    public Task<string?> Loaded { get; }

    /// <summary>How long loading took (so far), from the restore's start.</summary>
    public TimeSpan Elapsed => _filler.Elapsed;

    public long CopiedBytes => _filler.CopiedBytes;

    /// <summary>The image store is not answering (an outage is under way): a failure now says nothing of the checkpoint.</summary>
    public bool StoreAway => _outage.Lasted is not null;

    /// <summary>Loading failed first because crik's own code threw what nobody expected, which says nothing of the checkpoint.</summary>
    public bool CriksOwn => _filler.CriksOwn;

    /// <inheritdoc cref="FillFailure.Proven"/>
    public bool Proven => _filler.Proven;

    public long LazyBytes => _images.LazyBytes;

    /// <summary>Once criu restore has ended, the pages it read from the laid-out images are let go (<see cref="LazyImages.DropLaidOutPages"/>).</summary>
    public void CriuEnded() => _images.DropLaidOutPages();

    public int Faults => _filler.Faults;

    /// <inheritdoc cref="MemoryFiller.AppEndedFirst"/>
    public bool AppEndedFirst => _filler.AppEndedFirst;

    /// <summary>The memory still arriving, for a checkpoint taken before it is all in.</summary>
    public IArrivingMemory Arriving => _filler;

    public int ReaderThreads => _filler.Readers;

    /// <inheritdoc cref="MemoryFiller.Time"/>
    public (TimeSpan Reading, TimeSpan Copying) Time => _filler.Time;

    /// <summary>The chunks filled first, their bytes, what chose them, and how many of the bytes are of the app's smaller areas.</summary>
    public (int Chunks, long Bytes, FirstFillChoice? By, long SmallAreasBytes) FilledFirst =>
        (_images.First.Count, _images.FirstBytes, _images.FirstBy, _images.SmallAreasBytes);

    /// <summary>What the app waited for first since this restore, then what it touched first before (still the best guess for the rest).</summary>
    public IReadOnlyList<TouchedRange> FirstTouched()
    {
        int pages = 0;
        return [.. _filler.Touched().Concat(_touchedBefore ?? []).TakeWhile(r => (pages += r.Pages) <= TouchLog.Limit)];
    }

    /// <summary>
    /// Listens for the restore in <paramref name="work"/> and starts reading the chunks to fill first.
    /// Takes ownership of the images and packs.
    /// </summary>
    /// <param name="app">Kills whatever of the app runs, with the reason; called before crik lets go of its memory.</param>
    /// <param name="outage">What reads tell of a store that stops answering, and how long the app waits for it.</param>
    /// <param name="appRunsMeanwhile">A lazy restore: the fill's work ahead runs below the app's CPU priority. Not for a restore that fills all
    /// before the app runs, where the fill is all there is to wait for.</param>
    public static LazyLoad Start(LazyImages images, PackReader packs, CriuWorkDir work, IReadOnlyList<TouchedRange>? touchedBefore, IAppKiller app,
        StoreOutage outage, bool appRunsMeanwhile) =>
        new(images, packs, work, touchedBefore, app, outage, appRunsMeanwhile);

    /// <summary>A process's userfaultfd, from the restore (nothing arrives before CRIU starts, after the filler is made).</summary>
    void IUserfaultReceiver.Received(int pid, SafeFileHandle userfault) => _filler.Add(pid, userfault);

    /// <summary>A handoff that ended without every process (the restore failed, or the handoff itself did): whatever of the app runs is killed at once.</summary>
    void IUserfaultReceiver.HandoffFailed(string why, bool criksOwn) => _filler?.Fail(why, criksOwn);

    /// <summary>
    /// The restore succeeded: crik says the app runs only once it holds every userfaultfd the restore
    /// sent (CRIU does not wait for them to be taken). A restore that has not said it is done within
    /// <see cref="HandoffWait"/> fails loading, and the app is killed.
    /// </summary>
    public async Task HoldUserfaultsAsync()
    {
        Task<string?> finished = _handoff.Finished;
        string? why = await Task.WhenAny(finished, Task.Delay(HandoffWait)).ConfigureAwait(false) == finished
            ? finished.Result
            : $"the restore had not handed crik the app's memory {HandoffWait.TotalSeconds:0} s after it ended";
        if (why is null)
        {
            _filler.RestoreFinished();
        }
        else
        {
            _filler.Fail(why);
        }
    }

    /// <summary>What a lazy load ends with when the restore failed (or never ran) and crik gave it up.</summary>
    public const string RestoreFailed = "the restore failed";

    /// <summary>
    /// The restore failed: whatever of the app it left is killed and everything let go. Returns why the
    /// load ended: <see cref="RestoreFailed"/>, or what failed in crik's own fill first.
    /// </summary>
    public async Task<string?> AbortAsync()
    {
        _filler.Fail(RestoreFailed);
        return await Loaded.ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _handoff.Dispose();
            _filler.Dispose();
            _images.Dispose();
            _packs.Dispose();
        }
    }

    private async Task<string?> EndAsync()
    {
        string? failure = await _filler.Loaded.ConfigureAwait(false);
        Dispose();
        return failure;
    }
}
