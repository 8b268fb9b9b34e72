using Crik.Cli.Chunks;
using Crik.Cli.Decisions;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Interop;
using Crik.Cli.Records;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Checks a generation against its manifest, wherever it is and whatever stores it, through the backend's
/// primitives only (<see cref="IStoreBackend.Describe"/>, <see cref="IStoreBackend.List"/>, and a volume's
/// directory opened on this node, <see cref="INodeDirectories.OpenLocalDirectory"/>, for the files beside the manifest):
/// whether crik made it, whether every file it lists is there at its size and checksum and every chunk in a
/// pack, and, for an encrypted one, that nothing else is beside it. What crik may have added beside the
/// manifest later (a set-aside generation's reason) is decided here, once.
/// </summary>
internal static class GenerationVerifier
{
    /// <summary>
    /// Why the generation at <paramref name="location"/> must not be handed to CRIU whatever its manifest says, or
    /// null (and then its contents are made private). CRIU restores as root, so a directory another user made or
    /// can write is never used; crik makes them 0700, as its own user. Writable by a group of crik's own is not
    /// another user: that is what a pod's fsGroup does to every file of a volume each time it is mounted, before any
    /// app of the pod runs (crik makes them private again at once, <see cref="RestorableChoice"/>). Object storage
    /// has no owners: never.
    /// </summary>
    public static string? Untrusted(IStoreBackend backend, INodeDirectories node, string location)
    {
        if (!backend.HasDirectories)
        {
            return null; // a generation's location in object storage is a key prefix, not an entry: asking about it would be a request for nothing
        }
        uint crik = Posix.EffectiveUserId;
        if (backend.Describe(location) is { Owner: { } owner, Mode: { } mode } status && (owner != crik || OthersCanWrite(mode, status.Group)))
        {
            return $"its directory belongs to uid {owner} (group {status.Group}) with mode {Convert.ToString((int)mode, 8)}, so crik (uid {crik}) did not make it; "
                + "crik restores only checkpoints it made";
        }
        node.MakePrivate(location);
        return null;
    }

    private static bool OthersCanWrite(UnixFileMode mode, uint? group) =>
        (mode & UnixFileMode.OtherWrite) != 0 || ((mode & UnixFileMode.GroupWrite) != 0 && !(group is { } g && Posix.IsOwnGroup(g)));

    /// <summary>Null when everything <paramref name="manifest"/> lists is at <paramref name="location"/> (and, with <paramref name="readChunks"/>, reads back whole).</summary>
    public static string? VerifyContents(IStoreBackend backend, INodeDirectories node, string location, Manifest manifest, PackReader packs,
        bool readChunks = false)
    {
        if (!backend.HasDirectories)
        {
            return WholeGeneration.InObjectStorage(manifest) ?? ManifestVerifier.VerifyChunks(manifest, packs, readChunks);
        }
        if (backend.Describe(location) is null)
        {
            return "its directory vanished";
        }
        return ManifestVerifier.VerifyChunks(manifest, packs, readChunks)
            ?? GenerationFiles.Verify(node, location, manifest)
            ?? (WholeGeneration.MustHoldNothingElse(manifest) ? Unexpected(backend, location, manifest) : null);
    }

    /// <summary>
    /// Null when every entry below an encrypted generation's location is one crik wrote there: its manifest,
    /// manifest.hmac, the files it lists and the directories on their way; otherwise the first other entry, in a
    /// few words. Whoever planted it can write the store, so the generation is not restored.
    /// </summary>
    private static string? Unexpected(IStoreBackend backend, string location, Manifest manifest)
    {
        (HashSet<string> files, HashSet<string> directories) = WholeGeneration.MayHold(manifest, AddedLater(location));
        return Unexpected(backend, location + "/", location.Length + 1, files, directories);
    }

    private static string? Unexpected(IStoreBackend backend, string prefix, int locationLength, HashSet<string> files, HashSet<string> directories)
    {
        foreach (StoredEntry entry in backend.List(prefix).OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            string path = entry.Key[locationLength..];
            switch (entry.Kind)
            {
                case FileKind.Regular when files.Contains(path):
                    continue;
                case FileKind.Directory when directories.Contains(path):
                    if (Unexpected(backend, entry.Key + "/", locationLength, files, directories) is { } problem)
                    {
                        return problem;
                    }
                    continue;
                default:
                    return $"its directory holds {path} ({DirectoryHandle.Describe(entry.Kind)}), which crik did not write there: "
                        + "someone else can write the image directory, and an encrypted checkpoint is restored only as crik wrote it";
            }
        }
        return null;
    }

    /// <summary>Names crik writes beside a generation's manifest after its commit: the reason of one set aside.</summary>
    private static string[] AddedLater(string location) =>
        location.StartsWith(StoreLayout.SetAsideDir + "/", StringComparison.Ordinal) ? [StoreLayout.SetAsideReasonFile] : [];
}
