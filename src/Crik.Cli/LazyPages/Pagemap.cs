// LazyPages/ owns filling a restored app's memory on demand and in the background: which pages are where, the userfaultfds CRIU hands over, and the fill.
using Crik.Cli.Criu;

namespace Crik.Cli.LazyPages;

/// <summary>A run of pages one task had at dump time, and where their bytes are in its pages image.</summary>
/// <param name="Offset">Where the run's first page is in the pages image.</param>
/// <param name="Lazy">CRIU may leave these pages for crik to fill (private anonymous memory).</param>
internal readonly record struct PageRun(ulong Address, long Pages, long Offset, bool Lazy)
{
    public ulong End => Address + (ulong)(Pages * ImagePage.Bytes);
}

/// <summary>
/// One task's pagemap image (pagemap-PID.img), indexed for serving: which pages-N.img holds its
/// memory, and each run of pages that has bytes there, in address order. A pages image holds exactly
/// the bytes of the runs marked present, one after another, so a run's offset is the sum of the runs
/// before it.
/// </summary>
internal sealed class Pagemap
{
    private readonly PageRun[] _runs;

    private Pagemap(int pagesId, PageRun[] runs)
    {
        PagesId = pagesId;
        _runs = runs;
    }

    /// <summary>N of the pages-N.img that holds this task's memory.</summary>
    public int PagesId { get; }

    public IReadOnlyList<PageRun> Runs => _runs;

    /// <summary>How many bytes the pages image holds for this task.</summary>
    public long Bytes => _runs.Length == 0 ? 0 : _runs[^1].Offset + (_runs[^1].Pages * ImagePage.Bytes);

    /// <summary>Reads a pagemap image; throws <see cref="InvalidDataException"/> for one crik cannot serve from (or that is damaged).</summary>
    public static Pagemap Parse(ReadOnlySpan<byte> image)
    {
        PagemapImage parsed;
        try
        {
            parsed = PagemapImage.Parse(image);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
        return From(parsed);
    }

    /// <summary>Indexes a pagemap image already read; throws <see cref="InvalidDataException"/> for one crik cannot serve from.</summary>
    public static Pagemap From(PagemapImage parsed)
    {
        var runs = new List<PageRun>(parsed.Entries.Count);
        long offset = 0;
        foreach (PagemapEntry entry in parsed.Entries)
        {
            if (entry.IsInParent)
            {
                throw new InvalidDataException("its pages are in a parent image");
            }
            long pages = checked((long)entry.Pages);
            if (!entry.IsPresent || pages == 0)
            {
                continue;
            }
            if (entry.Address % (ulong)ImagePage.Bytes != 0 || (runs.Count > 0 && entry.Address < runs[^1].End))
            {
                throw new InvalidDataException("its runs are not page-aligned and in address order");
            }
            runs.Add(new PageRun(entry.Address, pages, offset, entry.IsLazy));
            offset = checked(offset + (pages * ImagePage.Bytes));
        }
        return new Pagemap(checked((int)parsed.PagesId), [.. runs]);
    }

    /// <summary>The run holding <paramref name="address"/>, or null when the task had no page there.</summary>
    public PageRun? Find(ulong address)
    {
        int low = 0, high = _runs.Length - 1;
        while (low <= high)
        {
            int middle = low + ((high - low) / 2);
            PageRun run = _runs[middle];
            if (address < run.Address)
            {
                high = middle - 1;
            }
            else if (address >= run.End)
            {
                low = middle + 1;
            }
            else
            {
                return run;
            }
        }
        return null;
    }
}
