using System.Globalization;
using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Records;

namespace Crik.Cli.LazyPages;

/// <summary>
/// A generation's processes as the sharing rule sees them (none for a tree of one process), and every process's mm
/// image and mappings, by PID.
/// </summary>
/// <param name="Pagemaps">Each process's pagemap with the lazy marks CRIU's own dump would give (<see cref="DumpedMemory.AsCriuMarksThem"/>).</param>
internal sealed record DumpedTree(List<ProcessMemory> Processes, Dictionary<int, byte[]> MmImages, Dictionary<int, IReadOnlyList<MemoryArea>> Mappings,
    Dictionary<int, PagemapImage> Pagemaps)
{
    /// <summary>The mm images with their mappings cut where <paramref name="plan"/> says, by name; those it leaves alone are not here.</summary>
    public Dictionary<string, byte[]> CutMmImages(SharingPlan plan) =>
        plan.Cuts.Where(c => MmImages.ContainsKey(c.Key))
            .ToDictionary(c => DumpedMemory.MmName(c.Key), c => MemoryAreasImage.Split(MmImages[c.Key], c.Value), StringComparer.Ordinal);
}

/// <summary>
/// The dumped processes' memory as the sharing rule sees it (<see cref="ProcessMemory"/>), read from a
/// generation's pstree, mm and pagemap images before anything is laid out.
/// </summary>
internal static class DumpedMemory
{
    /// <summary>Far above a real pagemap, mm or pstree image, and small enough that a damaged size cannot have crik allocate the node's memory.</summary>
    private const long MaxImageBytes = 256L << 20;

    /// <summary>
    /// Every process with a pagemap; throws <see cref="InvalidDataException"/> when an image is missing or damaged.
    /// A tree of one process shares nothing: then neither its pstree nor its mm image is read.
    /// </summary>
    public static DumpedTree Read(List<ManifestFile> files, Manifest manifest, PackReader packs, Dictionary<int, PagemapImage> pagemaps)
    {
        var byName = files.DistinctBy(f => f.Path, StringComparer.Ordinal).ToDictionary(f => f.Path, StringComparer.Ordinal);
        var mmImages = new Dictionary<int, byte[]>();
        var parsed = new Dictionary<int, MmImage>();
        foreach (int pid in pagemaps.Keys)
        {
            mmImages[pid] = ReadSmall(Named(byName, MmName(pid)), manifest, packs);
            parsed[pid] = Parse(MmName(pid), mmImages[pid], MemoryAreasImage.ParseImage);
        }
        var mappings = parsed.ToDictionary(p => p.Key, p => p.Value.Areas);
        Dictionary<int, List<AddressRange>> stacks = StackPages(byName, manifest, packs, pagemaps.Keys);
        Dictionary<int, PagemapImage> marked = pagemaps.ToDictionary(p => p.Key, p => AsCriuMarksThem(p.Value, mappings[p.Key], stacks[p.Key]));
        if (marked.Count < 2)
        {
            return new DumpedTree([], mmImages, mappings, marked);
        }
        Dictionary<int, int> parents = ReadTree(byName, manifest, packs);
        var processes = new List<ProcessMemory>();
        foreach ((int pid, PagemapImage pagemap) in marked.OrderBy(p => p.Key))
        {
            MmImage mm = parsed[pid];
            processes.Add(new ProcessMemory(pid, parents.GetValueOrDefault(pid), mm.ExeFileId,
                mm.Areas.Select(a => new MappedArea(a.Start, a.End, (a.Flags & MemoryArea.GrowsDown) != 0, a.IsPlainAnonymous)).ToList(),
                LazyRanges(pagemap)));
        }
        return new DumpedTree(processes, mmImages, mappings, marked);
    }

    /// <summary>
    /// <paramref name="pagemap"/> with the lazy marks CRIU's dump gives: every page of a mapping a restore takes lazily
    /// (<see cref="MemoryArea.CanBeLazy"/>) but the page a thread's stack pointer was in. Pages crik copied while the app ran
    /// carry no mark, and CRIU would restore them itself before the app runs; pages marked where CRIU takes nothing lazily
    /// (a checkpoint taken while the memory arrived, whose area the app locked meanwhile) lose it.
    /// </summary>
    public static PagemapImage AsCriuMarksThem(PagemapImage pagemap, IReadOnlyList<MemoryArea> areas, List<AddressRange> stackPages) =>
        EagerPages.Apply(EagerPages.LazyWherePresent(pagemap),
            AddressRange.Merge([.. areas.Where(a => !a.CanBeLazy).Select(a => new AddressRange(a.Start, a.End)), .. stackPages]));

    /// <summary>Each task's pagemap image, by PID; throws <see cref="InvalidDataException"/> for a damaged one.</summary>
    public static Dictionary<int, PagemapImage> Pagemaps(List<ManifestFile> files, Manifest manifest, PackReader packs)
    {
        var pagemaps = new Dictionary<int, PagemapImage>();
        foreach (ManifestFile file in files)
        {
            if (TaskPagemapPid(file.Path) is { } pid)
            {
                pagemaps[pid] = Parse(file.Path, ReadSmall(file, manifest, packs), PagemapImage.Parse);
            }
        }
        return pagemaps;
    }

    /// <summary>
    /// For an eager restore: the mm images of <paramref name="manifest"/> cut so that CRIU pairs each
    /// mapping a child shares with its parent (<paramref name="share"/>), by name; throws
    /// <see cref="InvalidDataException"/> or IOException when the images cannot be read.
    /// </summary>
    public static Dictionary<string, byte[]> CutForSharing(Manifest manifest, PackReader packs, Func<IReadOnlyList<ProcessMemory>, SharingPlan> share)
    {
        var files = manifest.Files.Where(f => f.IsStreamed && !f.Path.Contains('/')).ToList();
        if (files.Count(f => TaskPagemapPid(f.Path) is not null) < 2)
        {
            return []; // one process shares with nobody: nothing is read before the restore
        }
        DumpedTree tree = Read(files, manifest, packs, Pagemaps(files, manifest, packs));
        return tree.CutMmImages(share(tree.Processes));
    }

    public static string MmName(int pid) => $"mm-{pid.ToString(CultureInfo.InvariantCulture)}.img";

    public static string TaskPagemapName(int pid) => $"pagemap-{pid.ToString(CultureInfo.InvariantCulture)}.img";

    /// <summary>PID of "pagemap-PID.img" (a task's; "pagemap-shmem-ID.img" is shared memory, restored eagerly).</summary>
    public static int? TaskPagemapPid(string name) => NumberIn(name, "pagemap-");

    public static int? PagesId(string name) => NumberIn(name, "pages-");

    /// <summary>N of an image named prefix-N.img; null for any other name.</summary>
    private static int? NumberIn(string name, string prefix) =>
        name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(".img", StringComparison.Ordinal)
            && int.TryParse(name.AsSpan(prefix.Length, name.Length - prefix.Length - 4), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;

    /// <summary>
    /// By PID, the page each of its threads' stack pointer was in when it was dumped (<see cref="StackPointerImage"/>), which
    /// CRIU never takes lazily; throws <see cref="InvalidDataException"/> when an image is missing or damaged.
    /// </summary>
    private static Dictionary<int, List<AddressRange>> StackPages(Dictionary<string, ManifestFile> byName, Manifest manifest, PackReader packs, IEnumerable<int> pids)
    {
        Dictionary<int, List<int>> threads = Parse(ProcessTreeImage.Name, ReadSmall(Named(byName, ProcessTreeImage.Name), manifest, packs), ProcessTreeImage.Threads);
        var pages = new Dictionary<int, List<AddressRange>>();
        foreach (int pid in pids)
        {
            var stacks = new List<AddressRange>();
            foreach (int tid in threads.GetValueOrDefault(pid) ?? [pid])
            {
                string name = TaskStateImage.Name(tid);
                if (Parse(name, ReadSmall(Named(byName, name), manifest, packs), image => StackPointerImage.Parse(image)) is { } sp)
                {
                    ulong page = sp & ~(ulong)(ImagePage.Bytes - 1);
                    stacks.Add(new AddressRange(page, page + (ulong)ImagePage.Bytes));
                }
            }
            pages[pid] = AddressRange.Merge(stacks);
        }
        return pages;
    }

    /// <summary>Each process's parent, by PID, from the pstree image; throws <see cref="InvalidDataException"/> when it is missing or damaged.</summary>
    private static Dictionary<int, int> ReadTree(Dictionary<string, ManifestFile> byName, Manifest manifest, PackReader packs) =>
        Parse(ProcessTreeImage.Name, ReadSmall(Named(byName, ProcessTreeImage.Name), manifest, packs), ProcessTreeImage.Parse)
            .GroupBy(p => p.Pid).ToDictionary(g => g.Key, g => g.First().ParentPid);

    /// <summary>A small image's bytes, each chunk checked; throws <see cref="InvalidDataException"/> for one too large to be what it says.</summary>
    public static byte[] ReadSmall(ManifestFile file, Manifest manifest, PackReader packs)
    {
        if (file.Size > MaxImageBytes)
        {
            throw new InvalidDataException($"its {file.Path} is {file.Size} bytes, more than any such image");
        }
        var bytes = new byte[file.Size];
        new ChunkedImage(file.Chunks!, packs, manifest.KeyId).Read(0, bytes);
        return bytes;
    }

    private static List<AddressRange> LazyRanges(PagemapImage pagemap)
    {
        var ranges = new List<AddressRange>();
        foreach (PagemapEntry entry in pagemap.Entries.Where(e => e.IsPresent && e.IsLazy && e.Pages > 0))
        {
            var range = new AddressRange(entry.Address, entry.Address + (entry.Pages * (ulong)ImagePage.Bytes));
            if (ranges.Count > 0 && ranges[^1].End == range.Start)
            {
                ranges[^1] = ranges[^1] with { End = range.End };
            }
            else
            {
                ranges.Add(range);
            }
        }
        return ranges;
    }

    private static ManifestFile Named(Dictionary<string, ManifestFile> byName, string name) =>
        byName.TryGetValue(name, out ManifestFile? file) ? file : throw new InvalidDataException($"its images have no {name}");

    private static T Parse<T>(string name, byte[] bytes, ParseImage<T> parse)
    {
        try
        {
            return parse(bytes);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{name} is not an image crik can read: {e.Message}", e);
        }
    }

    private delegate T ParseImage<T>(ReadOnlySpan<byte> image);
}
