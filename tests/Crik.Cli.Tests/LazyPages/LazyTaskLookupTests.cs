using Crik.Cli.LazyPages;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// A process whose memory is full of holes has tens of thousands of areas to fill, and every fault and every chunk looks
/// some up: the lookups search, and the count of missing pages is kept. These compare them, after every change the app
/// can make while its memory arrives, with the plain answer read off the areas one by one.
/// </summary>
[Trait("Category", "Unit")]
public sealed class LazyTaskLookupTests
{
    private const ulong Page = 4096;

    [Fact]
    public void LookupsInAMemoryOfManyRunsAgreeWithTheAreasAfterEveryChangeTheAppMakes()
    {
        var random = new Random(62);
        // 2,000 runs of 1-4 pages with holes of 1-3 pages between them, over two mappings.
        var runs = new List<(ulong Address, long Pages, bool Lazy)>();
        ulong address = 0x100000;
        for (int i = 0; i < 2000; i++)
        {
            long pages = random.Next(1, 5);
            runs.Add((address, pages, Lazy: true));
            address += (ulong)(pages + random.Next(1, 4)) * Page;
        }
        ulong middle = runs[1000].Address + Page;
        using LazyTask task = LazyTaskTests.Task([new(0x100000, middle), new(middle, address)], [.. runs]);
        Assert.Equal(2001, task.Areas.Count); // one run is split where the first mapping ends
        AgreesWithTheAreas(task, random);

        for (int step = 0; step < 300; step++)
        {
            ulong at = 0x100000 + ((ulong)random.NextInt64(0, (long)((address - 0x100000) / Page)) * Page);
            ulong length = (ulong)random.Next(1, 16) * Page;
            switch (step % 4)
            {
                case 0:
                    task.Unmap(at, at + length);
                    break;
                case 1:
                    task.Drop(at, at + length);
                    break;
                case 2:
                    // Moved far away or into the memory's own range: the image's order and the address order part.
                    ulong to = random.Next(2) == 0 ? 0x7f0000000000 + ((ulong)step * 0x100000) : 0x100000 + ((ulong)random.NextInt64(0, (long)((address - 0x100000) / Page)) * Page);
                    if (to + length <= at || to >= at + length)
                    {
                        task.Remap(at, to, length);
                    }
                    break;
                default:
                    if (task.Areas.Count > 0)
                    {
                        LazyArea area = task.Areas[random.Next(task.Areas.Count)];
                        long first = random.NextInt64(0, area.Pages);
                        task.MarkDone(area, first, random.NextInt64(1, area.Pages - first + 1));
                    }
                    break;
            }
            AgreesWithTheAreas(task, random);
        }
    }

    [Fact]
    public void BytesMovedElsewhereAreStillFoundByWhereTheyAreInTheImage()
    {
        using LazyTask task = LazyTaskTests.Task([new(0x10000, 0x20000)], (0x10000, 4, Lazy: true), (0x18000, 4, Lazy: true));

        task.Remap(0x18000, 0x4000, 4 * Page); // the later bytes of the image now lie at the lower address

        Assert.Equal([0x10000UL, 0x4000UL], task.HoldingBytes(0, 8 * (long)Page).Select(a => a.Address));
        Assert.Equal([0x4000UL], task.HoldingBytes(5 * (long)Page, 6 * (long)Page).Select(a => a.Address));
        Assert.Empty(task.HoldingBytes(8 * (long)Page, 9 * (long)Page));
    }

    private static void AgreesWithTheAreas(LazyTask task, Random random)
    {
        IReadOnlyList<LazyArea> areas = task.Areas;
        Assert.Equal(areas.Sum(a => a.Missing), task.Missing);
        for (int i = 1; i < areas.Count; i++)
        {
            Assert.True(areas[i - 1].End <= areas[i].Address, "the areas are in address order and do not overlap");
        }
        for (int probe = 0; probe < 200; probe++)
        {
            LazyArea near = areas.Count > 0 ? areas[random.Next(areas.Count)] : null!;
            ulong address = areas.Count == 0 ? 0x100000 : near.Address + (ulong)(random.Next(-2, (int)near.Pages + 2) * (long)Page);
            LazyArea? holder = areas.FirstOrDefault(a => a.PageAt(address) >= 0);
            Assert.Equal(holder, task.Find(address)?.Area);
            ulong end = address + ((ulong)random.Next(1, 6) * Page);
            Assert.Equal(areas.Any(a => a.Address < end && a.End > address), task.HoldsAny(address, end));

            long offset = areas.Count == 0 ? 0 : near.Offset + (random.Next(-3, (int)near.Pages + 3) * (long)Page);
            long offsetEnd = offset + (random.Next(1, 40) * (long)Page);
            Assert.Equal(areas.Where(a => a.Offset < offsetEnd && a.OffsetEnd > offset).OrderBy(a => a.Offset), task.HoldingBytes(offset, offsetEnd));
        }
    }
}
