using System.Buffers.Binary;

namespace Crik.Cli.Criu;

/// <summary>
/// What CRIU counted while it restored, from <c>stats-restore</c>, which it writes into its work directory once a
/// restore has succeeded: a stats_entry (CRIU's images/stats.proto) whose restore_stats_entry (field 2) holds
/// pages_compared (1: pages of a child it compared with its parent's), pages_skipped_cow (2: of those, the pages
/// equal to the parent's, which it left shared copy-on-write instead of writing a copy), forking_time (3) and
/// restore_time (4) in microseconds, and pages_restored (5: pages it wrote into the restored processes).
/// A service file: its magic numbers are CRIU's service magic, then the stats magic.
/// </summary>
internal static class RestoreStatsImage
{
    public const string Name = "stats-restore";

    private const uint ServiceMagic = 0x55105940, StatsMagic = 0x57093306;

    /// <summary>CRIU's counts of one restore, in pages of this machine's size; <see cref="PagesRestored"/> is null when CRIU did not write it.</summary>
    public sealed record Counts(ulong PagesCompared, ulong PagesSkippedCow, ulong? PagesRestored, TimeSpan Forking, TimeSpan Restoring);

    /// <summary>The restore statistics of a stats-restore file; throws <see cref="FormatException"/> for one that is not (or has none).</summary>
    public static Counts Parse(ReadOnlySpan<byte> image)
    {
        if (image.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(image) != ServiceMagic
            || BinaryPrimitives.ReadUInt32LittleEndian(image[4..]) != StatsMagic)
        {
            throw new FormatException("it does not start as CRIU's stats file");
        }
        var messages = new ImageMessageReader(image[8..]);
        if (!messages.Next(out ReadOnlySpan<byte> stats) || !new ProtobufFieldReader(stats).NextEmbedded(2, out ReadOnlySpan<byte> restore))
        {
            throw new FormatException("it holds no restore statistics");
        }
        ulong compared = 0, skipped = 0, forking = 0, restoring = 0;
        ulong? restored = null;
        var fields = new ProtobufFieldReader(restore);
        while (fields.Next(out int field, out ulong value))
        {
            switch (field)
            {
                case 1: compared = value; break;
                case 2: skipped = value; break;
                case 3: forking = value; break;
                case 4: restoring = value; break;
                case 5: restored = value; break;
            }
        }
        return new Counts(compared, skipped, restored, TimeSpan.FromMicroseconds(forking), TimeSpan.FromMicroseconds(restoring));
    }

    /// <summary>The counts CRIU wrote into <paramref name="workDir"/>; null when it wrote none (or they cannot be read).</summary>
    public static Counts? Read(string workDir)
    {
        try
        {
            return Parse(File.ReadAllBytes(Path.Combine(workDir, Name)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
