using System.Globalization;
using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Crik.Cli.Model;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

/// <summary>
/// A generation's CRIU images laid out for a lazy restore, in a private scratch directory on the
/// node: every image but the pages as a file, and each task's pages image as a sparse file holding
/// only the pages CRIU restores itself (those it may leave lazy are holes it never reads: it skips
/// them by their place in the pagemap). Each chunk is checked as it is read. The pages left out are
/// what the <see cref="PageServer"/> serves later, from <see cref="Images"/>.
/// </summary>
internal sealed class LazyImages : IDisposable
{
    /// <summary>The most of the chunks the app touched first that are read before it asks.</summary>
    public const long FirstTouchedReadLimit = 32 << 20;
    private const int FirstTouchedReaders = 4;


    private readonly ScratchDirectory _scratch;
    private readonly List<ChunkedImage> _opened = [];

    private LazyImages(ScratchDirectory scratch) => _scratch = scratch;

    /// <summary>The directory CRIU reads the images from (a path to the directory crik holds open).</summary>
    public string ImagesDir => _scratch.Directory.ProcPath;

    /// <summary>Each task's pagemap, by its PID in the images.</summary>
    public Dictionary<int, Pagemap> Tasks { get; } = [];

    /// <summary>The pages images of the tasks, by number, read from their chunks.</summary>
    public Dictionary<int, ChunkedImage> Images { get; } = [];

    /// <summary>How many bytes of the tasks' pages images CRIU may leave lazy.</summary>
    public long LazyBytes { get; private set; }

    /// <summary>How many chunks, and bytes, <see cref="ReadFirstTouched"/> or <see cref="ReadFirstWritten"/> reads ahead.</summary>
    public (int Chunks, long Bytes) ReadingFirst { get; private set; }

    /// <summary>How many of the chunks read first the app faulted on so far.</summary>
    public int FirstUsed => Images.Values.Sum(i => i.FirstUsed);

    /// <summary>
    /// Starts reading the chunks holding the lazy pages the app touched first after its last restore,
    /// in that order, on threads of their own (a few at once: from object storage each is a request),
    /// so that its first faults find them read. Called before the page server starts.
    /// </summary>
    public void ReadFirstTouched(IReadOnlyList<TouchedRange> touched)
    {
        var wanted = new List<(ChunkedImage Image, int Index)>();
        var seen = new HashSet<(int PagesId, int Index)>();
        long bytes = 0;
        int pages = 0; // a manifest's list is crik's own, but a damaged one must not keep the restore here
        foreach (TouchedRange range in touched.TakeWhile(_ => bytes < FirstTouchedReadLimit && pages < PageServer.TouchedLimit))
        {
            if (!Tasks.TryGetValue(range.Pid, out Pagemap? pagemap) || !Images.TryGetValue(pagemap.PagesId, out ChunkedImage? image))
            {
                continue;
            }
            for (int page = 0; page < range.Pages && pages++ < PageServer.TouchedLimit; page++)
            {
                ulong address = range.Address + ((ulong)page * Pagemap.PageBytes);
                if (pagemap.Find(address) is not { Lazy: true } run)
                {
                    continue;
                }
                int index = image.IndexAt(run.Offset + (long)(address - run.Address));
                if (!seen.Add((pagemap.PagesId, index)))
                {
                    continue;
                }
                bytes += image.ChunkSize(index);
                if (bytes > FirstTouchedReadLimit)
                {
                    break;
                }
                wanted.Add((image, index));
            }
        }
        StartReadingFirst(wanted);
    }

    /// <summary>
    /// For a lazy restore with no list of what the app touched first (its first, or one after an eager
    /// restore): starts reading the chunks of lazy pages written since the previous checkpoint, the
    /// memory the app was working on (those in <paramref name="generation"/>'s own pack; the others were
    /// reused, unchanged), in address order, up to <see cref="FirstTouchedReadLimit"/>. Nothing when no
    /// chunk was reused (a first checkpoint): then every chunk is new and says nothing.
    /// </summary>
    public void ReadFirstWritten(long generation)
    {
        var lazyChunks = new List<(ChunkedImage Image, int Index)>();
        var seen = new HashSet<(int PagesId, int Index)>();
        foreach (Pagemap pagemap in Tasks.Values)
        {
            if (!Images.TryGetValue(pagemap.PagesId, out ChunkedImage? image))
            {
                continue;
            }
            foreach (PageRun run in pagemap.Runs.Where(r => r.Lazy))
            {
                int last = image.IndexAt(run.Offset + (run.Pages * Pagemap.PageBytes) - 1);
                for (int index = image.IndexAt(run.Offset); index <= last; index++)
                {
                    if (seen.Add((pagemap.PagesId, index)))
                    {
                        lazyChunks.Add((image, index));
                    }
                }
            }
        }
        if (lazyChunks.All(c => c.Image.PackOf(c.Index) == generation))
        {
            return;
        }
        long bytes = 0;
        StartReadingFirst(lazyChunks.Where(c => c.Image.PackOf(c.Index) == generation)
            .TakeWhile(c => (bytes += c.Image.ChunkSize(c.Index)) <= FirstTouchedReadLimit)
            .ToList());
    }

    /// <summary>Reads the chunks on threads of their own, a few at once; a request for one of them waits for its read.</summary>
    private void StartReadingFirst(List<(ChunkedImage Image, int Index)> chunks)
    {
        var wanted = chunks.Select(c => (c.Image, c.Index, Read: new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously))).ToList();
        foreach ((ChunkedImage image, int index, TaskCompletionSource<byte[]> read) in wanted)
        {
            image.ReadingFirst(index, read.Task);
        }
        ReadingFirst = (wanted.Count, wanted.Sum(w => (long)w.Image.ChunkSize(w.Index)));
        int next = -1;
        for (int reader = 0; reader < Math.Min(FirstTouchedReaders, wanted.Count); reader++)
        {
            var thread = new Thread(() =>
            {
                for (int i = Interlocked.Increment(ref next); i < wanted.Count; i = Interlocked.Increment(ref next))
                {
                    try
                    {
                        wanted[i].Read.SetResult(wanted[i].Image.ReadChunkFirst(wanted[i].Index));
                    }
                    catch (Exception e)
                    {
                        wanted[i].Read.SetException(e); // thrown to the request that needs the chunk, if one does
                    }
                }
            })
            { IsBackground = true, Name = "crik first-touched reader" };
            thread.Start();
        }
    }

    /// <summary>
    /// Whether <c>criu lazy-pages</c> reads this image before it listens (criu/uffd.c, prepare_dummy_pstree:
    /// the inventory, the process tree, and each task's ids). It reads an image missing as empty but one
    /// being written as damaged, and exits; so these are whole before it starts.
    /// </summary>
    public static bool ReadByDaemonAtStart(string name) =>
        name is "inventory.img" or "pstree.img" || NumberIn(name, "ids-") is not null;

    /// <summary>
    /// The images CRIU's lazy-pages daemon reads as it starts (<see cref="ReadByDaemonAtStart"/>), written
    /// first so that the daemon can start while <see cref="WriteRest"/> lays out the others.
    /// </summary>
    public static LazyImages Begin(Manifest manifest, PackReader packs) =>
        new(PackedFiles.WriteToScratch($"crik-lazy-{manifest.Generation:D6}", fallbackParent: null,
            manifest.Files.Where(f => f.IsStreamed && ReadByDaemonAtStart(f.Path)), manifest.KeyId, packs));

    /// <summary>Writes the other images out; throws <see cref="InvalidDataException"/> when the images are not fit for a lazy restore, IOException when a chunk fails.</summary>
    public void WriteRest(Manifest manifest, PackReader packs)
    {
        var files = manifest.Files.Where(f => f.IsStreamed && !f.Path.Contains('/') && !ReadByDaemonAtStart(f.Path)).ToList();
        ReadTaskPagemaps(files, manifest, packs);
        var taskPages = Tasks.Values.GroupBy(t => t.PagesId).ToDictionary(g => g.Key, g => g.ToList());
        var others = new List<ManifestFile>();
        foreach (ManifestFile file in files)
        {
            if (PagesId(file.Path) is { } id && taskPages.TryGetValue(id, out List<Pagemap>? owners))
            {
                using var target = _scratch.Directory.CreateFile(file.Path);
                var image = new ChunkedImage(file.Chunks!, packs, manifest.KeyId);
                _opened.Add(image);
                Images[id] = image;
                WriteEagerRuns(image, owners, target);
            }
            else
            {
                others.Add(file);
            }
        }
        PackedFiles.WriteOut(others, manifest.KeyId, packs, _scratch.Directory);
        foreach ((int pid, Pagemap pagemap) in Tasks)
        {
            if (!Images.TryGetValue(pagemap.PagesId, out ChunkedImage? image) || image.Length < pagemap.Bytes)
            {
                throw new InvalidDataException($"task {pid}'s pages image pages-{pagemap.PagesId}.img is missing or short");
            }
        }
    }

    private void ReadTaskPagemaps(List<ManifestFile> files, Manifest manifest, PackReader packs)
    {
        foreach (ManifestFile file in files)
        {
            if (TaskPagemapPid(file.Path) is { } pid)
            {
                var bytes = new byte[file.Size];
                using var image = new ChunkedImage(file.Chunks!, packs, manifest.KeyId);
                image.Read(0, bytes);
                Tasks[pid] = Pagemap.Parse(bytes);
            }
        }
    }

    public void Dispose()
    {
        foreach (ChunkedImage image in _opened)
        {
            image.Dispose();
        }
        _scratch.Dispose();
    }

    /// <summary>
    /// The pages CRIU restores itself, a few runs scattered over the image: read several at a time
    /// (from object storage each is a request), each chunk checked, into their place in the sparse file.
    /// </summary>
    private void WriteEagerRuns(ChunkedImage image, List<Pagemap> owners, Microsoft.Win32.SafeHandles.SafeFileHandle target)
    {
        RandomAccess.SetLength(target, image.Length);
        List<PageRun> runs = owners.SelectMany(o => o.Runs).ToList();
        LazyBytes += runs.Where(r => r.Lazy).Sum(r => r.Pages * Pagemap.PageBytes);
        const int Piece = 1 << 20;
        var pieces = runs.Where(r => !r.Lazy)
            .SelectMany(r => Enumerable.Range(0, (int)(((r.Pages * Pagemap.PageBytes) + Piece - 1) / Piece))
                .Select(i => (Offset: r.Offset + ((long)i * Piece), Length: (int)Math.Min(Piece, (r.Pages * Pagemap.PageBytes) - ((long)i * Piece)))))
            .ToList();
        try
        {
            Parallel.ForEach(pieces, new ParallelOptions { MaxDegreeOfParallelism = 8 }, piece =>
            {
                byte[] buffer = new byte[piece.Length];
                try
                {
                    image.ReadOnce(piece.Offset, buffer);
                    RandomAccess.Write(target, buffer, piece.Offset);
                }
                finally
                {
                    Array.Clear(buffer);
                }
            });
        }
        catch (AggregateException e)
        {
            // The first chunk that failed, as the caller handles it (a ChunkException is an IOException).
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
    }

    /// <summary>PID of "pagemap-PID.img" (a task's; "pagemap-shmem-ID.img" is shared memory, restored eagerly).</summary>
    private static int? TaskPagemapPid(string name) => NumberIn(name, "pagemap-");

    private static int? PagesId(string name) => NumberIn(name, "pages-");

    /// <summary>N of an image named prefix-N.img; null for any other name.</summary>
    private static int? NumberIn(string name, string prefix) =>
        name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(".img", StringComparison.Ordinal)
            && int.TryParse(name.AsSpan(prefix.Length, name.Length - prefix.Length - 4), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;
}
