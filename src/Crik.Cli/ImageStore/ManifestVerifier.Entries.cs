using Crik.Cli.Interop;
using Crik.Cli.Model;

namespace Crik.Cli.ImageStore;

// What may be in an encrypted generation's directory: only what crik wrote there.
internal static partial class ManifestVerifier
{
    /// <summary>
    /// Null when every entry in an encrypted generation's directory is one crik wrote there: its
    /// manifest, manifest.hmac, the files it lists and the directories on their way; otherwise the
    /// first other entry, in a few words. Whoever planted it can write the store, so the generation is
    /// not restored.
    /// </summary>
    /// <param name="alsoWritten">Names crik adds beside the manifest later (the set-aside reason).</param>
    public static string? Unexpected(DirectoryHandle dir, Manifest manifest, params string[] alsoWritten)
    {
        var files = new HashSet<string>([Manifest.FileName, Manifest.MacFileName, .. alsoWritten], StringComparer.Ordinal);
        var directories = new HashSet<string>([AppFiles.ExtraFilesDir], StringComparer.Ordinal);
        foreach (ManifestFile file in manifest.Files)
        {
            if (!file.IsStreamed)
            {
                files.Add(file.Path);
            }
            AddParents(directories, file.Path);
        }
        // Sealing saved files leaves their directories behind (extra-files/ always), and a saved directory may be empty.
        foreach (SavedFile saved in manifest.ExtraFiles ?? [])
        {
            if (saved.Kind == SavedFile.Directory)
            {
                AddParents(directories, $"{AppFiles.ExtraFilesDir}/{saved.Path.TrimStart('/')}/");
            }
        }
        return Unexpected(dir, "", files, directories);
    }

    private static string? Unexpected(DirectoryHandle dir, string prefix, HashSet<string> files, HashSet<string> directories)
    {
        foreach (string name in dir.Names().Order(StringComparer.Ordinal))
        {
            string path = prefix + name;
            switch (dir.Stat(name)?.Kind)
            {
                case null:
                case FileKind.Regular when files.Contains(path):
                    continue;
                case FileKind.Directory when directories.Contains(path):
                    using (DirectoryHandle? child = dir.TryOpenDirectory(name))
                    {
                        if (child is not null && Unexpected(child, path + "/", files, directories) is { } problem)
                        {
                            return problem;
                        }
                    }
                    continue;
                case FileKind kind:
                    return $"its directory holds {path} ({DirectoryHandle.Describe(kind)}), which crik did not write there: "
                        + "someone else can write the image directory, and an encrypted checkpoint is restored only as crik wrote it";
            }
        }
        return null;
    }

    private static void AddParents(HashSet<string> directories, string path)
    {
        for (int slash = path.IndexOf('/'); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            directories.Add(path[..slash]);
        }
    }
}
