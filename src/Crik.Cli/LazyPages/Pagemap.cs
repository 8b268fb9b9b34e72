// LazyPages/ owns serving a restored app's memory on demand: which pages are where, the page server CRIU's lazy-pages daemon asks, and the daemon's life.
using System.Buffers.Binary;

namespace Crik.Cli.LazyPages;

/// <summary>A run of pages one task had at dump time, and where their bytes are in its pages image.</summary>
/// <param name="Offset">Where the run's first page is in the pages image.</param>
/// <param name="Lazy">CRIU may leave these pages for the lazy-pages daemon (private anonymous memory).</param>
internal readonly record struct PageRun(ulong Address, long Pages, long Offset, bool Lazy)
{
    public ulong End => Address + (ulong)(Pages * Pagemap.PageBytes);
}

/// <summary>
/// One task's pagemap image (pagemap-PID.img), read: which pages-N.img holds its memory, and each run
/// of pages that has bytes there, in address order. A pages image holds exactly the bytes of the runs
/// marked present, one after another, so a run's offset is the sum of the runs before it.
/// </summary>
internal sealed class Pagemap
{
    public const int PageBytes = 4096;

    private const uint CommonMagic = 0x54564319;
    private const uint PresentFlag = 4, LazyFlag = 2;

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
    public long Bytes => _runs.Length == 0 ? 0 : _runs[^1].Offset + (_runs[^1].Pages * PageBytes);

    /// <summary>Reads a pagemap image; throws <see cref="InvalidDataException"/> for one crik cannot serve from (or that is damaged).</summary>
    public static Pagemap Parse(ReadOnlySpan<byte> image)
    {
        if (image.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(image) != CommonMagic)
        {
            throw new InvalidDataException("not a CRIU image");
        }
        int at = 8;
        int? pagesId = null;
        var runs = new List<PageRun>();
        long offset = 0;
        while (at < image.Length)
        {
            if (image.Length - at < 4)
            {
                throw new InvalidDataException("truncated entry");
            }
            int size = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(image[at..]));
            at += 4;
            if (size > image.Length - at)
            {
                throw new InvalidDataException("truncated entry");
            }
            var fields = Protobuf.Varints(image.Slice(at, size));
            at += size;
            if (pagesId is null)
            {
                pagesId = checked((int)fields.Get(1));
                continue;
            }
            if (fields.Get(3) != 0)
            {
                throw new InvalidDataException("its pages are in a parent image");
            }
            ulong flags = fields.Get(4);
            long pages = checked((long)(fields.Has(5) ? fields.Get(5) : fields.Get(2)));
            if ((flags & PresentFlag) == 0 || pages == 0)
            {
                continue;
            }
            ulong address = fields.Get(1);
            if (address % PageBytes != 0 || (runs.Count > 0 && address < runs[^1].End))
            {
                throw new InvalidDataException("its runs are not page-aligned and in address order");
            }
            runs.Add(new PageRun(address, pages, offset, (flags & LazyFlag) != 0));
            offset = checked(offset + (pages * PageBytes));
        }
        return new Pagemap(pagesId ?? throw new InvalidDataException("no header"), [.. runs]);
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
