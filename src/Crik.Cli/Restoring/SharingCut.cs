using Crik.Cli.Chunks;
using Crik.Cli.Decisions;
using Crik.Cli.LazyPages;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// The mm images cut so that an eager restore keeps what the app's processes shared (<see cref="ForkSharing"/>);
/// none when they cannot be read here (the restore then reads them as they are, and fails on them as it would).
/// </summary>
internal static class SharingCut
{
    public static Dictionary<string, byte[]> For(Manifest manifest, PackReader packs, ILogger log)
    {
        if (!manifest.Files.Any(f => f.IsStreamed))
        {
            return [];
        }
        try
        {
            return DumpedMemory.CutForSharing(manifest, packs, ForkSharing.Plan);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            log.Warning("Checkpoint {Generation}: could not read its processes' memory maps to keep what they share ({Error}); restoring them as they are", manifest.Generation, e.Message);
            return [];
        }
    }
}
