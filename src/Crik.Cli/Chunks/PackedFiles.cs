using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Chunks;

/// <summary>Files made of chunks in the packs (a manifest's streamed files), written out as plain files, each chunk checked as it is read.</summary>
internal static class PackedFiles
{
    /// <summary>
    /// Writes <paramref name="files"/> into a new <see cref="ScratchDirectory"/>, each at its path; the
    /// directory is deleted again when one cannot be written.
    /// </summary>
    /// <param name="fallbackParent">As for <see cref="ScratchDirectory.Create"/>.</param>
    public static ScratchDirectory WriteToScratch(string prefix, DirectoryHandle? fallbackParent, IEnumerable<(string Path, IReadOnlyList<ChunkRef> Chunks)> files,
        string? keyId, PackReader packs)
    {
        var scratch = ScratchDirectory.Create(prefix, fallbackParent);
        try
        {
            WriteOut(files, keyId, packs, scratch.Directory);
            return scratch;
        }
        catch
        {
            scratch.Dispose();
            throw;
        }
    }

    /// <summary>Writes each of <paramref name="files"/> at its path below <paramref name="directory"/>, making the directories on the way.</summary>
    public static void WriteOut(IEnumerable<(string Path, IReadOnlyList<ChunkRef> Chunks)> files, string? keyId, PackReader packs, DirectoryHandle directory)
    {
        foreach ((string path, IReadOnlyList<ChunkRef> chunks) in files)
        {
            using DirectoryHandle parent = directory.OpenOrCreateParent(path, out string name);
            using SafeFileHandle target = parent.CreateFile(name);
            packs.WriteOut(chunks, keyId, target);
        }
    }
}
