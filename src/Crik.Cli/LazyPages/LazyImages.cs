using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Guarding;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Crik.Cli.Records;

namespace Crik.Cli.LazyPages;

/// <summary>
/// A generation's CRIU images laid out for a lazy restore, in a private scratch directory on the
/// node: every image but the pages as a file, and each task's pages image as a sparse file holding
/// only the pages CRIU restores itself (those it may leave lazy are holes it never reads: it skips
/// them by their place in the pagemap). Each chunk is checked as it is read. The pages left out are
/// what the <see cref="MemoryFiller"/> fills later, from <see cref="Images"/>.
/// </summary>
internal sealed class LazyImages : IDisposable
{
    /// <summary>The most of the chunks to fill first that are read before the app asks.</summary>
    public const long FirstReadLimit = 32 << 20;

    /// <summary>A buffer that holds the largest chunk.</summary>
    private static readonly int ChunkBuffer = (PageChunker.MaxBytes + HugePageMemory.Alignment - 1) / HugePageMemory.Alignment * HugePageMemory.Alignment;

    /// <summary>A mm image is a few bytes per mapping; more than this is not one.</summary>
    private const long MaxMmImageBytes = 64L << 20;

    private readonly ScratchDirectory _scratch;

    private LazyImages(ScratchDirectory scratch) => _scratch = scratch;

    /// <summary>The directory CRIU reads the images from (a path to the directory crik holds open).</summary>
    public string ImagesDir => _scratch.Directory.ProcPath;

    /// <summary>Each task's pagemap, by its PID in the images.</summary>
    public Dictionary<int, Pagemap> Tasks { get; } = [];

    /// <summary>The pages images of the tasks, by number, read from their chunks.</summary>
    public Dictionary<int, ChunkedImage> Images { get; } = [];

    /// <summary>How many bytes of the tasks' pages images CRIU may leave lazy.</summary>
    public long LazyBytes { get; private set; }

    /// <summary>The chunks to fill before the others (<see cref="FillFirst"/>), in order.</summary>
    public List<(int PagesId, int Index)> First { get; } = [];

    /// <summary>What <see cref="First"/> was chosen by; null while it is empty.</summary>
    public FirstFillChoice? FirstBy { get; private set; }

    /// <summary>How many bytes <see cref="First"/> holds.</summary>
    public long FirstBytes => First.Sum(c => (long)Images[c.PagesId].ChunkSize(c.Index));

    /// <summary>Lays out every image of <paramref name="manifest"/>; throws <see cref="InvalidDataException"/> when they are not fit for a lazy restore, IOException when a chunk fails.</summary>
    /// <param name="packs">What the layout reads, before the app runs (with the store's own retries).</param>
    /// <param name="fillPacks">What the fill reads the lazy pages from (<see cref="Images"/>) once the app runs: a reader whose caller retries.</param>
    /// <param name="share">Which lazy pages CRIU is to restore itself so that the processes share what they shared (<see cref="SharingPlan"/>).</param>
    public static LazyImages Write(Manifest manifest, PackReader packs, PackReader fillPacks, Func<IReadOnlyList<ProcessMemory>, SharingPlan> share)
    {
        var files = manifest.Files.Where(f => f.IsStreamed && !f.Path.Contains('/')).ToList();
        var images = new LazyImages(ScratchDirectory.Create($"crik-lazy-{manifest.Generation:D6}", fallbackParent: null));
        try
        {
            images.WriteAll(files, manifest, packs, fillPacks, share);
            return images;
        }
        catch
        {
            images.Dispose();
            throw;
        }
    }

    /// <summary>
    /// What the order of the first fill is chosen from (Decisions.FirstFill, which Restoring asks): the chunks the app
    /// touched first after its last restore, those it wrote since the previous checkpoint, the chunks of its smaller
    /// areas. Each list stops soon after <see cref="FirstReadLimit"/> bytes, as no more is chosen.
    /// </summary>
    /// <param name="touched">The app's first touches after its last restore, as its manifest lists them; null when it has none.</param>
    public FirstFillFacts FirstFillFacts(IReadOnlyList<TouchedRange>? touched, long generation)
    {
        (List<FillChunk> written, bool anyReused) = WrittenChunks(generation);
        return new FirstFillFacts(touched is { Count: > 0 } ? TouchedChunks(touched) : null, written, anyReused, AreaChunks());
    }

    /// <summary>The chunks to fill before the others, in order, by what chose them (Decisions.FirstFill's order).</summary>
    public void FillFirst(IReadOnlyList<(int PagesId, int Index)> touched, IReadOnlyList<(int PagesId, int Index)> smallAreas,
        IReadOnlyList<(int PagesId, int Index)> written)
    {
        First.AddRange([.. touched, .. smallAreas, .. written]);
        FirstBy = touched.Count > 0 ? FirstFillChoice.Touched : written.Count > 0 ? FirstFillChoice.Written
            : smallAreas.Count > 0 ? FirstFillChoice.SmallAreas : null;
        SmallAreasBytes = smallAreas.Sum(c => (long)Images[c.PagesId].ChunkSize(c.Index));
    }

    /// <summary>How many bytes of <see cref="First"/> were chosen as chunks of the app's smaller memory areas.</summary>
    public long SmallAreasBytes { get; private set; }

    /// <summary>
    /// The chunks holding the lazy pages the app touched first after its last restore, in that order, each once, until
    /// reading them reads more than <see cref="FirstReadLimit"/>.
    /// </summary>
    private List<FillChunk> TouchedChunks(IReadOnlyList<TouchedRange> touched)
    {
        var seen = new HashSet<(int PagesId, int Index)>();
        var chunks = new List<FillChunk>();
        var read = new HashSet<(long Pack, long Offset)>();
        long bytes = 0;
        int pages = 0; // a manifest's list is crik's own, but a damaged one must not keep the restore here
        foreach (TouchedRange range in touched.TakeWhile(_ => bytes <= FirstReadLimit && pages < TouchLog.Limit))
        {
            if (!Tasks.TryGetValue(range.Pid, out Pagemap? pagemap) || !Images.TryGetValue(pagemap.PagesId, out ChunkedImage? image))
            {
                continue;
            }
            for (int page = 0; page < range.Pages && pages++ < TouchLog.Limit && bytes <= FirstReadLimit; page++)
            {
                ulong address = range.Address + ((ulong)page * (ulong)ImagePage.Bytes);
                if (pagemap.Find(address) is { Lazy: true } run && image.IndexAt(run.Offset + (long)(address - run.Address)) is var index
                    && seen.Add((pagemap.PagesId, index)))
                {
                    FillChunk chunk = FillChunkOf(pagemap.PagesId, image, index);
                    bytes += read.Add(chunk.Whole) ? chunk.WholeBytes : 0;
                    chunks.Add(chunk);
                }
            }
        }
        return chunks;
    }

    /// <summary>
    /// The chunks of lazy pages written since the previous checkpoint, the memory the app was working on (those in
    /// <paramref name="generation"/>'s own pack; the others were reused, unchanged), in address order, each once, until
    /// reading them reads more than <see cref="FirstReadLimit"/>; and whether any chunk was reused.
    /// </summary>
    private (List<FillChunk> Written, bool AnyReused) WrittenChunks(long generation)
    {
        // One walk, keeping only the chunks listed (a 6 GiB app has 10,000), ended once the budget is full and a reused
        // chunk was seen. Tasks sharing a pages image may both hold a chunk, and slices share the chunk they are of: each counts once.
        var written = new List<FillChunk>();
        var listed = new HashSet<(int PagesId, int Index)>();
        var read = new HashSet<(long Pack, long Offset)>();
        long bytes = 0;
        bool anyReused = false;
        foreach ((int pagesId, ChunkedImage image, int index) in LazyChunksInOrder())
        {
            if (image.PackOf(index) != generation)
            {
                anyReused = true;
            }
            else if (bytes <= FirstReadLimit && listed.Add((pagesId, index)))
            {
                FillChunk chunk = FillChunkOf(pagesId, image, index);
                bytes += read.Add(chunk.Whole) ? chunk.WholeBytes : 0;
                written.Add(chunk);
            }
            if (anyReused && bytes > FirstReadLimit)
            {
                break;
            }
        }
        return (written, anyReused);
    }

    /// <summary>
    /// Each chunk holding lazy pages, task by task in address order. Within a pagemap a chunk two runs share comes once:
    /// its runs are in address order and their chunks in offset order, so the second is the one just given.
    /// </summary>
    private IEnumerable<(int PagesId, ChunkedImage Image, int Index)> LazyChunksInOrder()
    {
        foreach (Pagemap pagemap in Tasks.Values)
        {
            if (!Images.TryGetValue(pagemap.PagesId, out ChunkedImage? image))
            {
                continue;
            }
            int last = -1;
            foreach (int index in pagemap.Runs.Where(r => r.Lazy).SelectMany(image.IndexesOf))
            {
                if (index != last)
                {
                    last = index;
                    yield return (pagemap.PagesId, image, index);
                }
            }
        }
    }

    /// <summary>
    /// The areas of at most <see cref="FirstReadLimit"/> holding lazy pages (no larger one is chosen), each with its size and
    /// its chunks of lazy pages, listed only when asked for (FirstFill lists no more than its budget reaches).
    /// </summary>
    private List<(long AreaBytes, IEnumerable<FillChunk> Chunks)> AreaChunks()
    {
        var listed = new List<(long AreaBytes, IEnumerable<FillChunk> Chunks)>();
        foreach ((int pid, Pagemap pagemap) in Tasks)
        {
            if (!Images.TryGetValue(pagemap.PagesId, out ChunkedImage? image))
            {
                continue;
            }
            // Runs and areas both in address order: one walk, not a search of every area for every run.
            MemoryArea[] areas = [.. Mappings(pid).OrderBy(a => a.Start)];
            // Runs in address order: an area's runs follow one another.
            var runsOf = new List<(int Area, List<PageRun> Runs)>();
            int at = 0;
            foreach (PageRun run in pagemap.Runs.Where(r => r.Lazy))
            {
                while (at < areas.Length && areas[at].End <= run.Address)
                {
                    at++;
                }
                if (at < areas.Length && areas[at].Start <= run.Address && areas[at].End - areas[at].Start <= FirstReadLimit)
                {
                    if (runsOf.Count == 0 || runsOf[^1].Area != at)
                    {
                        runsOf.Add((at, []));
                    }
                    runsOf[^1].Runs.Add(run);
                }
            }
            int pagesId = pagemap.PagesId;
            listed.AddRange(runsOf.Select(r => ((long)(areas[r.Area].End - areas[r.Area].Start),
                r.Runs.SelectMany(image.IndexesOf).Select(index => FillChunkOf(pagesId, image, index)))));
        }
        return listed;
    }

    /// <summary>A piece as the first fill's budget counts it: what reading it reads (its whole chunk).</summary>
    private static FillChunk FillChunkOf(int pagesId, ChunkedImage image, int index) =>
        new((pagesId, index), image.ChunkOf(index), image.Chunks[index].WholeSize);

    /// <summary>The mappings process <paramref name="pid"/> had at dump time (its mm image).</summary>
    public IReadOnlyList<MemoryArea> Mappings(int pid)
    {
        string name = DumpedMemory.MmName(pid);
        using Microsoft.Win32.SafeHandles.SafeFileHandle file = _scratch.Directory.TryOpenFile(name)
            ?? throw new InvalidDataException($"its images have no {name}");
        try
        {
            return MemoryAreasImage.Parse(FileContents.Read(file, MaxMmImageBytes));
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{name} is not a mm image crik can read: {e.Message}", e);
        }
    }

    /// <summary>
    /// What the app's processes map privately from files (<see cref="FileMappings"/>), by path, from the files
    /// and mm images laid out here; throws FormatException or IOException for images that cannot be read.
    /// </summary>
    public List<MappedFileRange> MappedFiles()
    {
        using Microsoft.Win32.SafeHandles.SafeFileHandle? filesImage = _scratch.Directory.TryOpenFile(RegularFilesImage.Name);
        if (filesImage is null)
        {
            return [];
        }
        Dictionary<uint, string> paths = RegularFilesImage.Parse(FileContents.Read(filesImage, MaxMmImageBytes));
        var ranges = new List<MappedFileRange>();
        foreach (int pid in Tasks.Keys)
        {
            using Microsoft.Win32.SafeHandles.SafeFileHandle? mm = _scratch.Directory.TryOpenFile(DumpedMemory.MmName(pid));
            if (mm is null)
            {
                continue;
            }
            ranges.AddRange(FileMappings.Private(FileContents.Read(mm, MaxMmImageBytes))
                .Where(m => paths.ContainsKey(m.FileId))
                .Select(m => new MappedFileRange(paths[m.FileId], m.Offset, m.Length, m.Executable)));
        }
        return ranges;
    }

    private void WriteAll(List<ManifestFile> files, Manifest manifest, PackReader packs, PackReader fillPacks, Func<IReadOnlyList<ProcessMemory>, SharingPlan> share)
    {
        Dictionary<int, PagemapImage> pagemaps = DumpedMemory.Pagemaps(files, manifest, packs);
        foreach (PagemapImage pagemap in pagemaps.Values)
        {
            Pagemap.From(pagemap); // what the fill cannot serve is refused before anything is written
        }
        DumpedTree tree = DumpedMemory.Read(files, manifest, packs, pagemaps);
        SharingPlan plan = share(tree.Processes);
        var written = tree.CutMmImages(plan);
        foreach ((int pid, byte[] mm) in tree.MmImages)
        {
            written.TryAdd(DumpedMemory.MmName(pid), mm); // read already: laid out from here, not read again
        }
        foreach ((int pid, PagemapImage pagemap) in tree.Pagemaps)
        {
            // Lazy where CRIU's dump would have said so (DumpedMemory.AsCriuMarksThem), but what the sharing plan has CRIU restore.
            List<AddressRange> eager = plan.Eager.GetValueOrDefault(pid) ?? [];
            PagemapImage restored = (eager.Count > 0 ? EagerPages.Apply(pagemap, eager) : pagemap).Merged();
            written[DumpedMemory.TaskPagemapName(pid)] = restored.Encode();
            Tasks[pid] = Pagemap.From(restored);
        }
        foreach ((string name, byte[] bytes) in written)
        {
            using var target = _scratch.Directory.CreateFile(name);
            RandomAccess.Write(target, bytes, 0);
        }
        var taskPages = Tasks.Values.GroupBy(t => t.PagesId).ToDictionary(g => g.Key, g => g.ToList());
        var others = new List<ManifestFile>();
        foreach (ManifestFile file in files.Where(f => !written.ContainsKey(f.Path)))
        {
            if (DumpedMemory.PagesId(file.Path) is { } id && taskPages.TryGetValue(id, out List<Pagemap>? owners))
            {
                using var target = _scratch.Directory.CreateFile(file.Path);
                Images[id] = new ChunkedImage(file.Chunks!, fillPacks, manifest.KeyId);
                WriteEagerRuns(Images[id].ReadingFrom(packs), owners, target);
            }
            else
            {
                others.Add(file);
            }
        }
        PackedFiles.WriteOut(others.Select(f => (f.Path, f.Chunks!)), manifest.KeyId, packs, _scratch.Directory);
        foreach ((int pid, Pagemap pagemap) in Tasks)
        {
            if (!Images.TryGetValue(pagemap.PagesId, out ChunkedImage? image) || image.Length < pagemap.Bytes)
            {
                throw new InvalidDataException($"task {pid}'s pages image pages-{pagemap.PagesId}.img is missing or short");
            }
        }
    }

    /// <summary>
    /// Once criu restore has ended: the pages files it read are emptied, as nothing reads them again. What
    /// they held (a pre-fork app's shared memory, once for each of its processes) would otherwise fill
    /// the scratch directory, and the pod's memory where that is a tmpfs, until every page is in.
    /// </summary>
    public void DropLaidOutPages()
    {
        foreach (int id in Images.Keys)
        {
            try
            {
                using var file = _scratch.Directory.OpenOrCreateFile($"pages-{id.ToString(System.Globalization.CultureInfo.InvariantCulture)}.img");
                RandomAccess.SetLength(file, 0);
            }
            catch (IOException)
            {
                // Only space is lost: the directory goes when the load ends.
            }
        }
    }

    public void Dispose() => _scratch.Dispose();

    /// <summary>
    /// The pages CRIU restores itself, a few runs scattered over the image: read several at a time
    /// (from object storage each is a request), each chunk checked, into their place in the sparse file.
    /// </summary>
    private void WriteEagerRuns(ChunkedImage image, List<Pagemap> owners, Microsoft.Win32.SafeHandles.SafeFileHandle target)
    {
        RandomAccess.SetLength(target, image.Length);
        List<PageRun> runs = owners.SelectMany(o => o.Runs).ToList();
        LazyBytes += runs.Where(r => r.Lazy).Sum(r => r.Pages * ImagePage.Bytes);
        // Each chunk holding eager bytes is read and checked once, and its eager parts written where they go.
        var parts = new Dictionary<int, List<(long From, long To)>>();
        foreach (PageRun run in runs.Where(r => !r.Lazy))
        {
            long end = run.Offset + (run.Pages * ImagePage.Bytes);
            for (int index = image.IndexAt(run.Offset); index < image.Count && image.StartOf(index) < end; index++)
            {
                long from = Math.Max(run.Offset, image.StartOf(index)), to = Math.Min(end, image.StartOf(index) + image.ChunkSize(index));
                (parts.TryGetValue(index, out var list) ? list : parts[index] = []).Add((from, to));
            }
        }
        try
        {
            // One buffer per thread, outside the garbage collector's heap: chunks read into new arrays of their own
            // made it collect the whole heap three times over a dozen chunks, with the app not yet restored.
            Parallel.ForEach(parts, new ParallelOptions { MaxDegreeOfParallelism = 8 }, () => HugePageMemory.Map(ChunkBuffer), (chunk, _, buffer) =>
            {
                Span<byte> bytes = buffer.Bytes[..image.ChunkSize(chunk.Key)];
                try
                {
                    image.ReadChunk(chunk.Key, bytes);
                    long start = image.StartOf(chunk.Key);
                    foreach ((long from, long to) in chunk.Value)
                    {
                        RandomAccess.Write(target, bytes.Slice((int)(from - start), (int)(to - from)), from);
                    }
                }
                finally
                {
                    bytes.Clear(); // the app's memory, maybe decrypted
                }
                return buffer;
            }, buffer => buffer.Dispose());
        }
        catch (AggregateException e)
        {
            ParallelFailure.RethrowFirstRead(e); // a ChunkException is an IOException
        }
    }
}

/// <summary>What the chunks a restore on crik's fill fills first came from (<see cref="LazyImages.FillFirst"/>).</summary>
internal enum FirstFillChoice
{
    /// <summary>What the app touched first after its last restore.</summary>
    Touched,

    /// <summary>What the app wrote since the previous checkpoint.</summary>
    Written,

    /// <summary>The app's smaller memory areas.</summary>
    SmallAreas,
}

/// <summary>What the order of a first fill is chosen from (<see cref="LazyImages.FirstFillFacts"/>); a chunk is a pages image's number and its index there.</summary>
/// <param name="Touched">The chunks the app touched first, in that order; null when its checkpoint has no list of first touches.</param>
/// <param name="Written">The chunks in the generation's own pack, in address order.</param>
/// <param name="AnyReused">Whether some chunk of lazy pages was reused from an earlier checkpoint.</param>
/// <param name="Areas">Each chunk of lazy pages with the size of an area it holds pages of.</param>
internal sealed record FirstFillFacts(List<FillChunk>? Touched, List<FillChunk> Written, bool AnyReused, List<(long AreaBytes, IEnumerable<FillChunk> Chunks)> Areas);
