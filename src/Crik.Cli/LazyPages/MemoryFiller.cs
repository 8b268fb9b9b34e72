using System.Diagnostics;
using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.LazyPages;

/// <summary>
/// crik's lazy-pages daemon: it fills a restored app's missing memory through the userfaultfds CRIU
/// hands it (<see cref="UserfaultHandoff"/>), from the chunks the images are stored in.
/// <list type="bullet">
/// <item>One thread reads every userfaultfd's messages: a fault asks for its chunk before any read
/// ahead; a fork, mremap, madvise or munmap changes what is left to fill (<see cref="LazyTask"/>).</item>
/// <item>Once CRIU has restored every process, one thread fills the rest in the background, chunk by
/// chunk (the chunks the app touched first first), reading several ahead on <see cref="FillReads"/>'
/// threads.</item>
/// <item>A chunk copied in fills every process that still misses any of its pages, in one copy per
/// run of missing pages.</item>
/// </list>
/// It ends when every page is in (<see cref="Loaded"/> null), or when a page cannot be (why): then
/// the app is killed before crik lets go of its userfaultfds, so that it never reads a page that did
/// not arrive. A store that stops answering is waited out (<see cref="StoreOutage"/>) while the app
/// waits on its page; an unexpected exception on any of the fill's threads fails the fill the same way.
/// </summary>
internal sealed partial class MemoryFiller : IDisposable
{
    public const string EventsThread = "crik userfaultfd events", FillerThread = "crik memory filler", CopyWork = "crik page copy";

    /// <summary>A read under way this long, with no failure heard of, counts as the store not answering (a volume's read stuck in the kernel).</summary>
    private static readonly TimeSpan StalledRead = TimeSpan.FromSeconds(10);

    /// <summary>Chunks read ahead of the background fill.</summary>
    private const int ReadAhead = 8;

    /// <summary>Chunks after a fault's own read as urgently as it, where the app would fault next if it reads on.</summary>
    private const int FaultReadAhead = 2;

    private readonly IReadOnlyDictionary<int, Pagemap> _pagemaps;
    private readonly IReadOnlyDictionary<int, ChunkedImage> _images;
    private readonly Func<int, IReadOnlyList<MemoryArea>> _mappings;
    private readonly IReadOnlyList<(int PagesId, int Index)> _first;
    private readonly Action<string> _killApp;
    private readonly ChunkReadAhead _reads;
    private readonly StoreOutage _outage;
    private readonly ReadinessPoll _poll = new();
    private readonly Lock _tasksLock = new();
    private readonly List<LazyTask> _tasks = [];
    private readonly TaskCompletionSource<string?> _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _restored = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TouchLog _touched = new();
    private readonly PageCopier _copier = new();
    private volatile bool _backgroundDone;
    private bool _ended;
    private volatile string? _failure;
    private int _faults;

    /// <summary>Processes let go of with all their memory in, and those gone (exited or killed) before it was.</summary>
    private int _allIn, _goneEarly;

    /// <summary>Guards <see cref="_held"/>; the held fill waits on it until a resume or a failure pulses it.</summary>
    private readonly object _holding = new();

    /// <summary>
    /// While true, the background fill copies no more chunks, and cannot end: the fill's reads stay open for a
    /// checkpoint that takes pages from the store (faults are still served, and their copies go on).
    /// </summary>
    private bool _held;

    /// <summary>The kernel's remap events hold the length that moved (<see cref="RemapLength"/>); crik finds it out where not.</summary>
    private readonly bool _remapEventSaysWhatMoved = RemapLength.EventSaysWhatMoved(ProcFiles.Text("/proc/sys/kernel/osrelease").Trim())
        && !RemapLength.ActAsAnOlderKernel();

    /// <summary>The app runs while the fill goes on (a lazy restore): the fill's work ahead yields the CPU to it.</summary>
    private readonly bool _appRunsMeanwhile;

    /// <param name="pagemaps">Each process's pagemap, by its PID in the images.</param>
    /// <param name="images">Each pages image, by its number.</param>
    /// <param name="mappings">A process's mappings at dump time, by its PID in the images.</param>
    /// <param name="first">The chunks to fill first (and to start reading now).</param>
    /// <param name="killApp">Kills whatever of the app runs, with the reason.</param>
    /// <param name="outage">The store's state, which reads report to and the events thread watches.</param>
    public MemoryFiller(IReadOnlyDictionary<int, Pagemap> pagemaps, IReadOnlyDictionary<int, ChunkedImage> images, Func<int, IReadOnlyList<MemoryArea>> mappings,
        IReadOnlyList<(int PagesId, int Index)> first, int readers, Action<string> killApp, StoreOutage outage, bool appRunsMeanwhile)
    {
        _pagemaps = pagemaps;
        _images = images;
        _mappings = mappings;
        _first = first;
        _killApp = killApp;
        _outage = outage;
        _appRunsMeanwhile = appRunsMeanwhile;
        _reads = FillReads.Start(images, readers, outage, FailedUnexpectedly, aheadYields: appRunsMeanwhile);
        foreach ((int pagesId, int index) in first)
        {
            _reads.Prefetch(pagesId, index);
        }
        BackgroundThread.StartSoon(ServeEvents, EventsThread, FailedUnexpectedly);
        BackgroundThread.StartSoon(FillInBackground, FillerThread, FailedUnexpectedly);
    }

    /// <summary>Null once every page is in; why not, when filling failed (the app was killed first).</summary>
    public Task<string?> Loaded => _loaded.Task;

    public TimeSpan Elapsed => _clock.Elapsed;

    public long CopiedBytes => _copier.CopiedBytes;

    /// <summary>Every process of the app ended before its memory was all in (none was let go of with all of it in).</summary>
    public bool AppEndedFirst => Volatile.Read(ref _goneEarly) > 0 && Volatile.Read(ref _allIn) == 0;

    /// <summary>How many times a process of the app waited for a page.</summary>
    public int Faults => Volatile.Read(ref _faults);

    public int Readers => _reads.Threads;

    /// <summary>The threads' time reading and checking chunks, and copying them into the app, each added up.</summary>
    public (TimeSpan Reading, TimeSpan Copying) Time => (_reads.ReadingTime, _copier.CopyingTime);

    /// <summary>The pages the app waited for, in the order it did (at most <see cref="TouchLog.Limit"/>).</summary>
    public IReadOnlyList<TouchedRange> Touched() => _touched.Ranges();

    /// <summary>A process's userfaultfd, from the restore: its faults are served from now on.</summary>
    public void Add(int pid, SafeFileHandle userfault)
    {
        var file = new UserfaultFile(userfault);
        try
        {
            if (!_pagemaps.TryGetValue(pid, out Pagemap? pagemap))
            {
                throw new InvalidDataException($"the restore handed crik process {pid}'s memory, which the images do not hold");
            }
            LazyTask task = LazyTask.Create(pid, pagemap, _mappings(pid), file);
            lock (_tasksLock)
            {
                if (_ended)
                {
                    // The fill is over (it failed), and this process came after its app was killed: killed too, before its memory is let go.
                    _killApp(_failure ?? "the app's memory can no longer be served");
                    task.Dispose();
                    return;
                }
                _tasks.Add(task);
            }
            _poll.Wake();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException)
        {
            Fail($"process {pid}'s memory cannot be served: {e.Message}");
            file.Dispose();
        }
    }

    /// <summary>CRIU has restored every process: the background fill starts.</summary>
    public void RestoreFinished() => _restored.TrySetResult();

    /// <summary>The fill failed first because crik's own code threw what nobody expected (a bug), which says nothing of the checkpoint.</summary>
    public bool CriksOwn { get; private set; }

    /// <summary>Gives up (the restore failed, or crik stops): the app is killed first, then every userfaultfd let go.</summary>
    /// <param name="criksOwn">crik's own code failed in a way nobody expected.</param>
    public void Fail(string why, bool criksOwn = false)
    {
        if (_loaded.Task.IsCompleted || Interlocked.CompareExchange(ref _failure, why, null) is not null)
        {
            return;
        }
        CriksOwn = criksOwn;
        try
        {
            _killApp(why);
        }
        finally
        {
            _restored.TrySetResult();
            ReleaseHeld();
            _poll.Wake(); // the events thread lets go of the userfaultfds and says why
        }
    }

    public void Dispose() => Fail("crik stopped serving the app's memory");

    /// <summary>An exception nobody expected, on one of the fill's threads: the same end as a failed fill, with the stack for the log.</summary>
    private void FailedUnexpectedly(string thread, Exception e) => Fail($"{thread} failed unexpectedly: {e}", criksOwn: true);

    /// <summary>The tasks, as they are now.</summary>
    private List<LazyTask> Tasks()
    {
        lock (_tasksLock)
        {
            return [.. _tasks];
        }
    }

    /// <summary>Everything is over: the userfaultfds are let go (after the app was killed, on a failure) and the reads stopped.</summary>
    private void End()
    {
        try
        {
            lock (_tasksLock)
            {
                _ended = true;
                foreach (LazyTask task in _tasks)
                {
                    task.Dispose();
                }
            }
            _reads.Dispose();
            _poll.Dispose();
            _clock.Stop();
        }
        finally
        {
            _loaded.TrySetResult(_failure);
        }
    }
}
