using Crik.Cli.Chunks;
using Crik.Cli.Records;

namespace Crik.Cli.ImageStore;

/// <summary>Which stored chunks a new generation may refer to instead of writing them again; the same rule for a volume and object storage.</summary>
internal static class ReusableChunks
{
    /// <summary>
    /// The chunks of every committed and retired generation whose pack is there and that was written
    /// with crik's current key (or, both, without one), by name: a new generation writes only chunks
    /// that are not among them. (Retired ones count: right after a restore, the generation restored
    /// is the one the next checkpoint shares most with.) An encrypted manifest counts only when it
    /// authenticates (the caller passes null for one that does not), so nobody can slip chunks of
    /// their own into a new generation.
    /// </summary>
    /// <param name="manifests">Each generation's manifest (null when unreadable) and its state: "" committed, retired/ or set-aside/.</param>
    public static Dictionary<string, ChunkRef> Find(IReadOnlyList<(Manifest? Manifest, string State)> manifests, IReadOnlySet<long> packs, string? keyId)
    {
        // A set-aside generation may have been set aside for one of its chunks: no copy it refers to is reused, so a bad
        // chunk is written anew instead of spreading to new generations. A copy of the same chunk stored elsewhere was named
        // by its bytes as it was written, and is reused: by name, a set-aside generation (one given up on as a crash loop, say)
        // would keep every chunk it shares with the others from ever being reused, and a checkpoint that takes what the app
        // did not write from the previous one could never refer to them.
        var suspect = manifests.Where(m => m.State == StoreLayout.SetAsideDir && m.Manifest is not null)
            .SelectMany(m => Streamed(m.Manifest!)).Select(c => (c.Pack, c.Offset)).ToHashSet();
        var known = new Dictionary<string, ChunkRef>(StringComparer.Ordinal);
        foreach ((Manifest? manifest, string state) in manifests)
        {
            if (manifest is null || state == StoreLayout.SetAsideDir || manifest.KeyId != keyId)
            {
                continue;
            }
            foreach (ChunkRef chunk in Streamed(manifest).Where(c => packs.Contains(c.Pack) && !suspect.Contains((c.Pack, c.Offset))))
            {
                known.TryAdd(chunk.Id, chunk.Whole());
            }
        }
        return known;
    }

    private static IEnumerable<ChunkRef> Streamed(Manifest manifest) => manifest.Files.Where(f => f.IsStreamed).SelectMany(f => f.Chunks!);
}
