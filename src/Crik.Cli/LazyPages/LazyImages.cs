using System.Globalization;
using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.Model;
using Crik.Cli.Processes;

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

    /// <summary>The chunks to fill before the others (<see cref="ChooseFirstTouched"/>, <see cref="ChooseFirstWritten"/>), in order.</summary>
    public List<(int PagesId, int Index)> First { get; } = [];

    /// <summary>How many bytes <see cref="First"/> holds.</summary>
    public long FirstBytes => First.Sum(c => (long)Images[c.PagesId].ChunkSize(c.Index));

    /// <summary>Lays out every image of <paramref name="manifest"/>; throws <see cref="InvalidDataException"/> when they are not fit for a lazy restore, IOException when a chunk fails.</summary>
    /// <param name="packs">What the layout reads, before the app runs (with the store's own retries).</param>
    /// <param name="fillPacks">What the fill reads the lazy pages from (<see cref="Images"/>) once the app runs: a reader whose caller retries.</param>
    public static LazyImages Write(Manifest manifest, PackReader packs, PackReader fillPacks)
    {
        var files = manifest.Files.Where(f => f.IsStreamed && !f.Path.Contains('/')).ToList();
        var images = new LazyImages(ScratchDirectory.Create($"crik-lazy-{manifest.Generation:D6}", fallbackParent: null));
        try
        {
            images.WriteAll(files, manifest, packs, fillPacks);
            return images;
        }
        catch
        {
            images.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The chunks holding the lazy pages the app touched first after its last restore, in that order,
    /// up to <see cref="FirstReadLimit"/>, are filled first.
    /// </summary>
    public void ChooseFirstTouched(IReadOnlyList<TouchedRange> touched)
    {
        var seen = new HashSet<(int PagesId, int Index)>();
        long bytes = 0;
        int pages = 0; // a manifest's list is crik's own, but a damaged one must not keep the restore here
        foreach (TouchedRange range in touched.TakeWhile(_ => bytes < FirstReadLimit && pages < MemoryFiller.TouchedLimit))
        {
            if (!Tasks.TryGetValue(range.Pid, out Pagemap? pagemap) || !Images.TryGetValue(pagemap.PagesId, out ChunkedImage? image))
            {
                continue;
            }
            for (int page = 0; page < range.Pages && pages++ < MemoryFiller.TouchedLimit; page++)
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
                if (bytes > FirstReadLimit)
                {
                    break;
                }
                First.Add((pagemap.PagesId, index));
            }
        }
    }

    /// <summary>
    /// For a lazy restore with no list of what the app touched first (its first, or one after an eager
    /// restore): the chunks of lazy pages written since the previous checkpoint, the memory the app was
    /// working on (those in <paramref name="generation"/>'s own pack; the others were reused,
    /// unchanged), in address order, up to <see cref="FirstReadLimit"/>. None when no chunk was reused
    /// (a first checkpoint): then every chunk is new and says nothing.
    /// </summary>
    public void ChooseFirstWritten(long generation)
    {
        var lazyChunks = new List<(int PagesId, int Index)>();
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
                        lazyChunks.Add((pagemap.PagesId, index));
                    }
                }
            }
        }
        if (lazyChunks.All(c => Images[c.PagesId].PackOf(c.Index) == generation))
        {
            return;
        }
        long bytes = 0;
        First.AddRange(lazyChunks.Where(c => Images[c.PagesId].PackOf(c.Index) == generation)
            .TakeWhile(c => (bytes += Images[c.PagesId].ChunkSize(c.Index)) <= FirstReadLimit));
    }

    /// <summary>The mappings process <paramref name="pid"/> had at dump time (its mm image).</summary>
    public IReadOnlyList<MemoryArea> Mappings(int pid)
    {
        string name = $"mm-{pid.ToString(CultureInfo.InvariantCulture)}.img";
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

    private void WriteAll(List<ManifestFile> files, Manifest manifest, PackReader packs, PackReader fillPacks)
    {
        ReadTaskPagemaps(files, manifest, packs);
        var taskPages = Tasks.Values.GroupBy(t => t.PagesId).ToDictionary(g => g.Key, g => g.ToList());
        var others = new List<ManifestFile>();
        foreach (ManifestFile file in files)
        {
            if (PagesId(file.Path) is { } id && taskPages.TryGetValue(id, out List<Pagemap>? owners))
            {
                using var target = _scratch.Directory.CreateFile(file.Path);
                Images[id] = new ChunkedImage(file.Chunks!, fillPacks, manifest.KeyId);
                WriteEagerRuns(new ChunkedImage(file.Chunks!, packs, manifest.KeyId), owners, target);
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
                new ChunkedImage(file.Chunks!, packs, manifest.KeyId).Read(0, bytes);
                Tasks[pid] = Pagemap.Parse(bytes);
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
                    image.Read(piece.Offset, buffer);
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
