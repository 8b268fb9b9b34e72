using Crik.Cli.Chunks;

namespace Crik.Cli.ImageStore;

// What the prefix holds, read in one listing, and the manifests in it.
internal sealed partial class ObjectCheckpointStore
{
    /// <summary>
    /// The generations and packs below the prefix. <see cref="Newest"/> counts everything that names a
    /// generation (a manifest, a retired or set-aside one, a pack, a manifest.hmac left without its
    /// manifest), so a new generation never reuses a number.
    /// </summary>
    private sealed record Listing(List<long> Committed, List<long> Retired, List<string> SetAside, List<long> Packs, List<string> Logs, long Newest)
    {
        /// <summary>The manifest keys of committed, retired and set-aside generations, with their state.</summary>
        public IEnumerable<(string Key, string State)> Manifests() =>
            Committed.Select(g => (StoreLayout.CommittedName(g) + ManifestObject, ""))
                .Concat(Retired.Select(g => ($"{StoreLayout.RetiredDir}/{StoreLayout.CommittedName(g)}{ManifestObject}", StoreLayout.RetiredDir)))
                .Concat(SetAside.Select(n => ($"{StoreLayout.SetAsideDir}/{n}{ManifestObject}", StoreLayout.SetAsideDir)));
    }

    private Listing List()
    {
        List<long> committed = [], retired = [], packs = [];
        List<string> setAside = [], logs = [];
        long newest = 0;
        foreach (ObjectStorage.S3Object item in s3.List(""))
        {
            string[] parts = item.Name.Split('/');
            switch (parts)
            {
                case [var name, Manifest.FileName] when StoreLayout.IsCommitted(name):
                    committed.Add(StoreLayout.ParseGeneration(name));
                    break;
                case [StoreLayout.RetiredDir, var name, Manifest.FileName] when StoreLayout.IsCommitted(name):
                    retired.Add(StoreLayout.ParseGeneration(name));
                    break;
                case [StoreLayout.SetAsideDir, var name, Manifest.FileName]:
                    setAside.Add(name);
                    break;
                case [StoreLayout.PacksDir, var name] when StoreLayout.ParsePackGeneration(name) > 0:
                    packs.Add(StoreLayout.ParsePackGeneration(name));
                    break;
                case [StoreLayout.LogDir, var name]:
                    logs.Add(name);
                    break;
            }
            newest = Math.Max(newest, parts switch
            {
                [StoreLayout.PacksDir, var name] => StoreLayout.ParsePackGeneration(name),
                [StoreLayout.RetiredDir or StoreLayout.SetAsideDir, var name, ..] => StoreLayout.ParseGeneration(name),
                [var name, _] => StoreLayout.ParseGeneration(name),
                _ => 0,
            });
        }
        committed.Sort((a, b) => b.CompareTo(a));
        return new Listing(committed, retired, setAside, packs, logs, newest);
    }

    /// <summary>A manifest crik may use for chunk reuse or pack clean-up: readable and, when encrypted under a key crik has, authentic; else null.</summary>
    private Manifest? ReadManifest(string key)
    {
        byte[]? json = s3.TryGet(key);
        if (json is null)
        {
            return null;
        }
        string name = key.Split('/')[^2];
        string macKey = key[..^Manifest.FileName.Length] + Manifest.MacFileName;
        string? problem = ManifestVerifier.ReadManifest(json, () => s3.TryGet(macKey), StoreLayout.CommittedName(StoreLayout.ParseGeneration(name)), _codec, out Manifest? manifest);
        return problem is null ? manifest : null;
    }

    /// <summary>What a new generation may reuse (see <see cref="ReusableChunks"/>).</summary>
    private Dictionary<string, ChunkRef> KnownChunks(Listing listing) =>
        ReusableChunks.Find(listing.Manifests().Select(m => (ReadManifest(m.Key), m.State)).ToList(), listing.Packs.ToHashSet(), _codec.KeyId);

    /// <summary>
    /// What the prefix holds, for <c>crik images</c>, changing nothing: committed, retired and set-aside
    /// generations, newest first, each with its manifest and, when asked, every chunk read and checked.
    /// </summary>
    public List<ListedGeneration> ListGenerations(bool verify)
    {
        Listing listing = List();
        using PackReader packs = OpenPackReader();
        var found = new List<ListedGeneration>();
        foreach ((string key, string state) in listing.Manifests())
        {
            string[] parts = key.Split('/');
            string name = parts[^2];
            long generation = StoreLayout.ParseGeneration(name);
            string committedName = StoreLayout.CommittedName(generation);
            string macKey = key[..^Manifest.FileName.Length] + Manifest.MacFileName;
            byte[]? json = s3.TryGet(key);
            Manifest? manifest = null;
            string? problem = json is null ? "its manifest vanished"
                : ManifestVerifier.ReadManifest(json, () => s3.TryGet(macKey), committedName, _codec, out manifest);
            if (problem is null && verify)
            {
                problem = ManifestVerifier.VerifyChunks(manifest!, packs, readChunks: true);
            }
            found.Add(new ListedGeneration(name, generation, state switch { "" => "committed", StoreLayout.RetiredDir => "retired", _ => "set aside" }, manifest, problem));
        }
        return found.OrderByDescending(g => g.Generation).ThenBy(g => g.State, StringComparer.Ordinal).ToList();
    }
}
