using Crik.Cli.Criu;
using Xunit;

namespace Crik.Cli.Tests.Criu;

/// <summary>CRIU's restore statistics (stats-restore), read from a file CRIU wrote and from bytes built as it writes them.</summary>
public class RestoreStatsImageTests
{
    /// <summary>
    /// The stats-restore CRIU 4.2.1 wrote into its work directory here, after restoring a Python process that had filled
    /// 32 MiB with random bytes and forked a child sharing them: 9,920 pages compared, 9,809 of them left shared.
    /// </summary>
    private static readonly byte[] Captured = Convert.FromHexString("405910550633095712000000121008c04d10d14c18ce6120a9fe4228af4e");

    [Fact]
    public void ACapturedFileGivesThePagesCriuLeftSharedAndTheRest()
    {
        RestoreStatsImage.Counts counts = RestoreStatsImage.Parse(Captured);
        Assert.Equal(9920UL, counts.PagesCompared);
        Assert.Equal(9809UL, counts.PagesSkippedCow);
        Assert.Equal(10031UL, counts.PagesRestored);
        Assert.Equal(TimeSpan.FromMicroseconds(12494), counts.Forking);
        Assert.Equal(TimeSpan.FromMicroseconds(1097513), counts.Restoring);
    }

    [Fact]
    public void PagesRestoredIsUnknownWhenCriuDidNotWriteIt()
    {
        byte[] restore = Protobuf.Message((1, 100), (2, 60), (3, 5), (4, 7));
        RestoreStatsImage.Counts counts = RestoreStatsImage.Parse(Stats(Protobuf.Embedded(2, restore)));
        Assert.Equal((100UL, 60UL, (ulong?)null), (counts.PagesCompared, counts.PagesSkippedCow, counts.PagesRestored));
    }

    [Fact]
    public void AFileThatIsNotRestoreStatisticsIsRefused()
    {
        Assert.Throws<FormatException>(() => RestoreStatsImage.Parse(Captured.AsSpan(0, 6)));
        Assert.Throws<FormatException>(() => RestoreStatsImage.Parse(Protobuf.Image(0x57093306, Protobuf.Embedded(2, Protobuf.Message((1, 1)))))); // an image's magic, not a service file's
        Assert.Throws<FormatException>(() => RestoreStatsImage.Parse(Stats(Protobuf.Embedded(1, Protobuf.Message((1, 1)))))); // dump statistics only
        Assert.Throws<FormatException>(() => RestoreStatsImage.Parse(Captured.AsSpan(0, Captured.Length - 3))); // cut off
    }

    [Fact]
    public void AWorkDirectoryWithoutStatisticsGivesNone()
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("crik-stats-");
        try
        {
            Assert.Null(RestoreStatsImage.Read(dir.FullName));
            File.WriteAllBytes(Path.Combine(dir.FullName, RestoreStatsImage.Name), Captured);
            Assert.Equal(9809UL, RestoreStatsImage.Read(dir.FullName)?.PagesSkippedCow);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>A stats file as CRIU writes one: its service magic, the stats magic, then the stats_entry after its length.</summary>
    private static byte[] Stats(byte[] entry) =>
        [.. BitConverter.GetBytes(0x55105940u), .. BitConverter.GetBytes(0x57093306u), .. BitConverter.GetBytes(entry.Length), .. entry];
}
