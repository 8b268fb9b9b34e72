using Crik.Cli.Chunks;
using Crik.Cli.Guarding;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.LazyPages;

/// <summary>
/// crik's lazy-pages daemon: it fills a restored app's missing memory through the userfaultfds CRIU
/// hands it (<see cref="UserfaultHandoff"/>), from the chunks the images are stored in.
/// <list type="bullet">
/// <item>One thread reads every userfaultfd's messages (<see cref="FaultServer"/>): a fault asks for its chunk before any
/// read ahead; a fork, mremap, madvise or munmap changes what is left to fill (<see cref="AddressSpaces"/>, one
/// <see cref="LazyTask"/> a process).</item>
/// <item>Once CRIU has restored every process, one thread fills the rest in the background (<see cref="BackgroundFill"/>),
/// chunk by chunk (the chunks the app touched first first), reading several ahead on <see cref="FillReads"/>'
/// threads; a checkpoint taken meanwhile holds it (<see cref="BackgroundHold"/>).</item>
/// <item>A chunk copied in fills every process that still misses any of its pages, in one copy per
/// run of missing pages (<see cref="ChunkPlacer"/>).</item>
/// </list>
/// This is what the rest of crik sees of them: it wires them, keeps how far they got (<see cref="FillProgress"/>), and
/// alone keeps whether and why the fill failed. It ends when every page is in (<see cref="Loaded"/> null), or when a
/// page cannot be (why): then the app is killed before crik lets go of its userfaultfds, so that it never reads a page
/// that did not arrive. A store that stops answering is waited out (<see cref="StoreOutage"/>) while the app waits on
/// its page; an unexpected exception on any of the fill's threads fails the fill the same way.
/// </summary>
internal sealed class MemoryFiller : IArrivingMemory, IDisposable
{
    public const string EventsThread = "crik userfaultfd events", FillerThread = "crik memory filler", CopyWork = "crik page copy";

    private readonly AddressSpaces _spaces;
    private readonly BackgroundHold _hold;
    private readonly ChunkReadAhead _reads;
    private readonly FillBuffers _buffers = new();
    private readonly FillProgress _progress = new();
    private readonly ReadinessPoll _poll = new();
    private readonly FillFailure _failure;
    private readonly TaskCompletionSource<string?> _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="images">The laid-out images: each process's pagemap and mappings, and the pages images, in chunks; and the chunks to fill first (and to start reading now).</param>
    /// <param name="app">Kills whatever of the app runs, with the reason.</param>
    /// <param name="outage">The store's state, which reads report to and the events thread watches.</param>
    public MemoryFiller(LazyImages images, int readers, IAppKiller app, StoreOutage outage, bool appRunsMeanwhile)
    {
        _spaces = new AddressSpaces(images);
        _hold = new BackgroundHold();
        _failure = new FillFailure(app, _hold, _poll);
        _reads = FillReads.Start(images.Images, readers, outage, _failure, _buffers, aheadYields: appRunsMeanwhile);
        foreach ((int pagesId, int index) in images.First)
        {
            _reads.Prefetch(pagesId, index);
        }
        var parts = new FillParts(_spaces, new ChunkPlacer(_spaces, _reads, _progress.Copier, _poll, _failure), _reads, _poll, _failure);
        var background = new BackgroundFill(parts, _hold, images.First, appRunsMeanwhile);
        var server = new FaultServer(parts, outage, _progress, background);
        // The events thread's last act ends the fill, whatever happened.
        BackgroundThread.StartSoon(() => { server.ServeEvents(); End(); }, EventsThread, _failure.FailedUnexpectedly);
        BackgroundThread.StartSoon(background.FillInBackground, FillerThread, _failure.FailedUnexpectedly);
    }

    /// <summary>Null once every page is in; why not, when filling failed (the app was killed first).</summary>
    public Task<string?> Loaded => _loaded.Task;

    public TimeSpan Elapsed => _progress.Elapsed;

    public long CopiedBytes => _progress.CopiedBytes;

    /// <inheritdoc cref="FillProgress.AppEndedFirst"/>
    public bool AppEndedFirst => _progress.AppEndedFirst;

    /// <inheritdoc cref="FillProgress.Faults"/>
    public int Faults => _progress.Faults;

    public int Readers => _reads.Threads;

    /// <summary>The threads' time reading and checking chunks, and copying them into the app, each added up.</summary>
    public (TimeSpan Reading, TimeSpan Copying) Time => (_reads.ReadingTime, _progress.CopyingTime);

    /// <inheritdoc cref="FillProgress.Touched()"/>
    public IReadOnlyList<TouchedRange> Touched() => _progress.Touched();

    /// <summary>A process's userfaultfd, from the restore: its faults are served from now on.</summary>
    public void Add(int pid, SafeFileHandle userfault)
    {
        var file = new UserfaultFile(userfault);
        try
        {
            LazyTask task = _spaces.Create(pid, file);
            if (!_spaces.TryAdd(task))
            {
                _failure.KillLate();
                task.Dispose();
                return;
            }
            _poll.Wake();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException)
        {
            FailWithProof($"process {pid}'s memory cannot be served: its images do not read: {e.Message}");
            file.Dispose();
        }
        catch (Exception e) when (e is IOException)
        {
            Fail($"process {pid}'s memory cannot be served: {e.Message}");
            file.Dispose();
        }
        catch
        {
            file.Dispose(); // the handoff's guard fails the fill as crik's own; the descriptor goes first
            throw;
        }
    }

    /// <inheritdoc cref="BackgroundHold.RestoreFinished"/>
    public void RestoreFinished() => _hold.RestoreFinished();

    /// <inheritdoc cref="FillFailure.CriksOwn"/>
    public bool CriksOwn => _failure.CriksOwn;

    /// <inheritdoc cref="FillFailure.Proven"/>
    public bool Proven => _failure.Proven;

    /// <summary>Gives up (the restore failed, or crik stops): the app is killed first, then every userfaultfd let go.</summary>
    /// <param name="criksOwn">crik's own code failed in a way nobody expected.</param>
    public void Fail(string why, bool criksOwn = false) => _failure.Fail(why, criksOwn);

    /// <inheritdoc cref="FillFailure.FailWithProof"/>
    public void FailWithProof(string why) => _failure.FailWithProof(why);

    public void Dispose() => Fail("crik stopped serving the app's memory");

    public void HoldBackground() => _hold.Hold();

    /// <inheritdoc cref="BackgroundHold.Resume"/>
    public void ResumeBackground() => _hold.Resume();

    public IReadOnlyList<UnfilledProcess> Unfilled() => _spaces.Unfilled();

    public IReadOnlyList<ProcessAtAGlance> Glance()
    {
        IReadOnlyList<ProcessAtAGlance> processes = _spaces.Glance();
        _poll.Wake(); // a forked child found gone is let go of at once
        return processes;
    }

    public IReadOnlyList<ChunkRef> Chunks(int pagesId) => _spaces.Image(pagesId).Chunks;

    public byte[] ReadChunk(int pagesId, int index) => _spaces.Image(pagesId).ReadChunk(index);

    /// <summary>Everything is over: the userfaultfds are let go (after the app was killed, on a failure) and the reads stopped.</summary>
    private void End()
    {
        try
        {
            _failure.WaitUntilTheAppIsKilled();
            _spaces.Close();
            _reads.Dispose();
            _buffers.Dispose();
            _poll.Dispose();
            _progress.Stop();
        }
        finally
        {
            _loaded.TrySetResult(_failure.End());
        }
    }
}
