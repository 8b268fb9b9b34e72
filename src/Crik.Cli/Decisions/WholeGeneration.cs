using Crik.Cli.Records;

namespace Crik.Cli.Decisions;

/// <summary>What a whole generation may hold besides what its manifest lists, wherever it is stored.</summary>
internal static class WholeGeneration
{
    /// <summary>
    /// An encrypted generation is restored only as crik wrote it: whoever can plant a file beside its
    /// manifest can write the store. A plaintext one is checked file by file, by its checksums.
    /// </summary>
    public static bool MustHoldNothingElse(Manifest manifest) => manifest.Encrypted;

    /// <summary>
    /// What an encrypted generation's directory may hold: its manifest, manifest.hmac, the files it
    /// lists beside it and <paramref name="alsoWritten"/> (the set-aside reason), and the directories on
    /// their way. Sealing saved files leaves their directories behind (extra-files/ always), and a saved
    /// directory may be empty.
    /// </summary>
    public static (HashSet<string> Files, HashSet<string> Directories) MayHold(Manifest manifest, IEnumerable<string> alsoWritten)
    {
        var files = new HashSet<string>([Manifest.FileName, Manifest.MacFileName, .. alsoWritten], StringComparer.Ordinal);
        var directories = new HashSet<string>([StoreLayout.ExtraFilesDir], StringComparer.Ordinal);
        foreach (ManifestFile file in manifest.Files)
        {
            if (!file.IsStreamed)
            {
                files.Add(file.Path);
            }
            AddParents(directories, file.Path);
        }
        foreach (SavedFile saved in manifest.ExtraFiles ?? [])
        {
            if (saved.Kind == SavedFile.Directory)
            {
                AddParents(directories, $"{StoreLayout.ExtraFilesDir}/{saved.Path.TrimStart('/')}/");
            }
        }
        return (files, directories);
    }

    /// <summary>Why a generation in object storage is not whole as its manifest says, or null: there, a generation has only chunks.</summary>
    public static string? InObjectStorage(Manifest manifest) =>
        manifest.Files.FirstOrDefault(f => !f.IsStreamed) is { } file
            ? $"its manifest lists {file.Path} as a file beside it, and a generation in object storage has only chunks"
            : null;

    private static void AddParents(HashSet<string> directories, string path)
    {
        for (int slash = path.IndexOf('/'); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            directories.Add(path[..slash]);
        }
    }
}
