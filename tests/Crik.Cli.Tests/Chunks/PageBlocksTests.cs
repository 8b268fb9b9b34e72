using System.Globalization;
using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Xunit;

namespace Crik.Cli.Tests.Chunks;

/// <summary>Tests that read this process's memory map: run on their own, so no other test maps or frees memory beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OwnMemoryMap
{
    public const string Name = "this process's memory map";
}

/// <summary>
/// The blocks pages images are cut into are kept from one run to the next, as many as a run holds at once (the rest are
/// unmapped); between runs the kernel may take their memory back (MADV_FREE), and a block rented again keeps what is
/// written to it.
/// </summary>
[Trait("Category", "Unit")]
[Collection(OwnMemoryMap.Name)]
public sealed unsafe class PageBlocksTests
{
    private const long BlockKiB = PageChunker.MaxBytes / 1024;

    [Fact]
    public void AReturnedBlockIsRentedAgainAndNoMoreAreKeptThanAsked()
    {
        var blocks = new PageBlocks(keep: 2);
        HugePageMemory[] rented = [blocks.Rent(), blocks.Rent(), blocks.Rent()];
        nint[] addresses = rented.Select(AddressOf).ToArray();

        foreach (HugePageMemory block in rented)
        {
            blocks.Return(block);
        }

        Assert.Equal(2, blocks.Free);
        Assert.False(IsMapped(addresses[2])); // one more than kept: unmapped
        Assert.Equal(addresses[..2].Order(), new[] { blocks.Rent(), blocks.Rent() }.Select(AddressOf).Order());
    }

    [Fact]
    public void AtRestTheKernelMayTakeTheMemoryBackAndABlockRentedAgainKeepsWhatIsWritten()
    {
        var blocks = new PageBlocks(keep: 1);
        HugePageMemory block = blocks.Rent();
        nint address = AddressOf(block);
        block.Bytes.Fill(0xA5);
        blocks.Return(block);
        long before = LazyFreeKiB(address);

        blocks.Rest();
        long resting = LazyFreeKiB(address);
        HugePageMemory again = blocks.Rent();
        again.Bytes.Fill(0x3C);
        long written = LazyFreeKiB(address);

        Assert.Same(block, again);
        Assert.True(resting - before >= BlockKiB, $"LazyFree went from {before} to {resting} KiB at rest");
        Assert.True(resting - written >= BlockKiB, $"LazyFree went from {resting} to {written} KiB once written again");
        Assert.True(again.Bytes.IndexOfAnyExcept((byte)0x3C) < 0);
        again.Dispose();
    }

    private static nint AddressOf(HugePageMemory block)
    {
        fixed (byte* start = block.Bytes)
        {
            return (nint)start;
        }
    }

    private static bool IsMapped(nint address) => Areas().Any(a => a.Start <= (ulong)address && (ulong)address < a.End);

    /// <summary>The LazyFree line of the area of /proc/self/smaps that holds <paramref name="address"/>.</summary>
    private static long LazyFreeKiB(nint address)
    {
        bool inArea = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            if (AreaOf(line) is { } area)
            {
                inArea = area.Start <= (ulong)address && (ulong)address < area.End;
            }
            else if (inArea && line.StartsWith("LazyFree:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException($"no area of /proc/self/smaps holds {address:x}");
    }

    private static IEnumerable<(ulong Start, ulong End)> Areas() => File.ReadLines("/proc/self/maps").Select(AreaOf).OfType<(ulong, ulong)>();

    private static (ulong Start, ulong End)? AreaOf(string line)
    {
        string[] range = line.Split(' ', 2)[0].Split('-');
        return range.Length == 2 && ulong.TryParse(range[0], NumberStyles.HexNumber, null, out ulong start)
            && ulong.TryParse(range[1], NumberStyles.HexNumber, null, out ulong end) ? (start, end) : null;
    }
}
