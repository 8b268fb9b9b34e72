using Crik.Cli.Chunks;
using Crik.Cli.Interop;

namespace Crik.Cli.ImageStore;

// Pack files: which chunks a new generation may reuse, reading them back, and deleting packs no
// generation uses any more.
internal sealed partial class CheckpointStore
{
    /// <summary>Reads chunks from packs/ (never through a link).</summary>
    public PackReader OpenPackReader() => new(generation => Packs.TryOpenFile(StoreLayout.PackName(generation)), _codec);

    /// <summary>What a new generation may reuse (see <see cref="ReusableChunks"/>).</summary>
    private Dictionary<string, ChunkRef> KnownChunks() =>
        ReusableChunks.Find(Manifests(), NamesIn(StoreLayout.PacksDir).Select(StoreLayout.ParsePackGeneration).Where(g => g > 0).ToHashSet(), _codec.KeyId);

    /// <summary>
    /// Deletes the pack files of generations up to <paramref name="newest"/> that no manifest in the
    /// image directory (committed, retired or set aside) uses: what dumps that failed or were cut
    /// short left, and what generations deleted since wrote. When a committed generation's manifest
    /// cannot be read, nothing is deleted.
    /// </summary>
    private void DeleteUnusedPacks(long newest, List<string> warnings)
    {
        var used = new HashSet<long>();
        foreach ((Manifest? manifest, string state) in Manifests())
        {
            if (manifest is null && state == "")
            {
                string warning = "a committed checkpoint's manifest cannot be read, so no unused pack was deleted";
                warnings.Add(warning);
                log.Warning("{Warning}", warning);
                return;
            }
            foreach (ChunkRef chunk in manifest?.Files.Where(f => f.IsStreamed).SelectMany(f => f.Chunks!) ?? [])
            {
                used.Add(chunk.Pack);
            }
        }
        foreach (string name in Packs.Names())
        {
            long generation = StoreLayout.ParsePackGeneration(name);
            if (generation > 0 && generation <= newest && !used.Contains(generation))
            {
                BestEffort(warnings, $"delete unused pack {name}", () => Packs.DeleteFile(name));
            }
        }
    }

    /// <summary>
    /// The manifest of every generation in the image directory, with where it is: "" (committed),
    /// retired/ or set-aside/. A manifest that cannot be read comes as null.
    /// </summary>
    private List<(Manifest? Manifest, string State)> Manifests()
    {
        var found = new List<(Manifest?, string)>();
        Collect(Root, "", StoreLayout.IsCommitted);
        foreach (string subdirectory in new[] { StoreLayout.RetiredDir, StoreLayout.SetAsideDir })
        {
            using DirectoryHandle? directory = Root.Stat(subdirectory) is { Kind: FileKind.Directory } ? Root.TryOpenDirectory(subdirectory) : null;
            if (directory is not null)
            {
                Collect(directory, subdirectory, name => name.StartsWith(StoreLayout.CommittedPrefix, StringComparison.Ordinal));
            }
        }
        return found;

        void Collect(DirectoryHandle parent, string state, Func<string, bool> isGeneration)
        {
            foreach (string name in parent.Names().Where(isGeneration))
            {
                if (parent.Stat(name) is not { Kind: FileKind.Directory })
                {
                    continue;
                }
                using DirectoryHandle? directory = parent.TryOpenDirectory(name);
                if (directory is null)
                {
                    continue;
                }
                // A set-aside copy is named checkpoint-NNNNNN-TIME; its manifest names NNNNNN.
                string committedName = StoreLayout.CommittedName(StoreLayout.ParseGeneration(name));
                _ = ManifestVerifier.ReadManifest(directory, committedName, _codec, out Manifest? manifest);
                found.Add((manifest, state));
            }
        }
    }
}
