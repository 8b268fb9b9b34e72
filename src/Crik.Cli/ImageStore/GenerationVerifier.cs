using Crik.Cli.Chunks;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Model;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Checks a generation's contents against its manifest, wherever it is: what crik may have added beside
/// the manifest later (a set-aside generation's reason) is decided here, once, not by a backend.
/// </summary>
internal static class GenerationVerifier
{
    /// <summary>Null when everything <paramref name="manifest"/> lists is at <paramref name="location"/> (and, with <paramref name="readChunks"/>, reads back whole).</summary>
    public static string? VerifyContents(IStoreBackend backend, string location, Manifest manifest, PackReader packs, bool readChunks = false) =>
        backend.VerifyContents(location, manifest, packs, AddedLater(location), readChunks);

    /// <summary>Names crik writes beside a generation's manifest after its commit: the reason of one set aside.</summary>
    private static string[] AddedLater(string location) =>
        location.StartsWith(StoreLayout.SetAsideDir + "/", StringComparison.Ordinal) ? [StoreLayout.SetAsideReasonFile] : [];
}
