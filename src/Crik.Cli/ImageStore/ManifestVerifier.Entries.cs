using Crik.Cli.Decisions;
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
        (HashSet<string> files, HashSet<string> directories) = WholeGeneration.MayHold(manifest, alsoWritten);
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
}
