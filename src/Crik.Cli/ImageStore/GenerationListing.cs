using Crik.Cli.Chunks;
using Crik.Cli.Interop;

namespace Crik.Cli.ImageStore;

/// <summary>One generation found in an image directory, for <c>crik images</c>.</summary>
/// <param name="State">"committed" (restorable), "retired" (restored once, or its app ended) or "set aside" (and why).</param>
/// <param name="Problem">Why its manifest (or, when verified, an image) is unusable; null when it is fine.</param>
internal sealed record ListedGeneration(string Name, long Generation, string State, Manifest? Manifest, string? Problem);

/// <summary>
/// Reads what an image directory holds without changing anything in it: committed, retired and
/// set-aside generations, newest first, each with its manifest and, when asked, verified.
/// </summary>
internal static class GenerationListing
{
    public static List<ListedGeneration> Read(string imageDir, bool verify, ChunkCodec? codec = null)
    {
        using var root = DirectoryHandle.OpenOrCreate(imageDir);
        using DirectoryHandle? packDirectory = root.Stat(StoreLayout.PacksDir) is { Kind: FileKind.Directory } ? root.TryOpenDirectory(StoreLayout.PacksDir) : null;
        codec ??= ChunkCodec.Plain;
        using var packs = new PackReader(generation => packDirectory?.TryOpenFile(StoreLayout.PackName(generation)), codec);
        var found = new List<ListedGeneration>();
        found.AddRange(In(root, "committed", verify, packs, codec, StoreLayout.IsCommitted));
        foreach ((string subdirectory, string state) in new[] { (StoreLayout.RetiredDir, "retired"), (StoreLayout.SetAsideDir, "set aside") })
        {
            using DirectoryHandle? directory = root.Stat(subdirectory) is { Kind: FileKind.Directory } ? root.TryOpenDirectory(subdirectory) : null;
            if (directory is not null)
            {
                found.AddRange(In(directory, state, verify, packs, codec, name => name.StartsWith("checkpoint-", StringComparison.Ordinal)));
            }
        }
        return found.OrderByDescending(g => g.Generation).ThenBy(g => g.State, StringComparer.Ordinal).ToList();
    }

    private static IEnumerable<ListedGeneration> In(DirectoryHandle parent, string state, bool verify, PackReader packs, ChunkCodec codec, Func<string, bool> isGeneration)
    {
        foreach (string name in parent.Names().Where(isGeneration).Order(StringComparer.Ordinal))
        {
            if (parent.Stat(name) is not { Kind: FileKind.Directory })
            {
                continue;
            }
            // A set-aside copy is named checkpoint-NNNNNN-TIME; its manifest names NNNNNN.
            string committedName = StoreLayout.CommittedName(StoreLayout.ParseGeneration(name));
            Manifest? manifest;
            string? problem;
            using (DirectoryHandle? directory = parent.TryOpenDirectory(name))
            {
                if (directory is null)
                {
                    continue;
                }
                problem = verify ? ManifestVerifier.Verify(directory, committedName, packs, codec, out manifest, readChunks: true) : ManifestVerifier.ReadManifest(directory, committedName, codec, out manifest);
            }
            yield return new ListedGeneration(name, StoreLayout.ParseGeneration(committedName), state, manifest, problem);
        }
    }
}
