using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Crik.Cli.Records;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore;

/// <summary>
/// The files crik saves beside CRIU's images (additionalPaths, carried files, CRIU's stats) as
/// chunks in the pack rather than files in the generation's directory: with encryption on, so that
/// nothing of the app's lies on the volume in plaintext.
/// </summary>
internal static class StagedFiles
{
    /// <summary>Turns every file below <paramref name="directory"/> into chunks and deletes it; returns what the manifest lists.</summary>
    public static List<ManifestFile> Seal(DirectoryHandle directory, PackWriter pack)
    {
        var sealedFiles = new List<ManifestFile>();
        foreach (string path in FileDigest.FilesBelow(directory))
        {
            var chunks = new List<ChunkRef>();
            long size = 0;
            using (SafeFileHandle file = FileDigest.OpenRelative(directory, path) ?? throw new IOException($"{path} vanished from the staging directory"))
            using (var stream = new FileStream(file, FileAccess.Read, bufferSize: 0))
            {
                PageChunker.Cut(stream, (buffer, length) =>
                {
                    try
                    {
                        chunks.Add(pack.Add(buffer.AsSpan(0, length)));
                        size += length;
                    }
                    finally
                    {
                        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                    }
                }, pack.Codec.Boundaries);
            }
            sealedFiles.Add(new ManifestFile(path, size, [], chunks));
            using DirectoryHandle parent = directory.OpenOrCreateParent(path, out string name);
            parent.DeleteFile(name);
        }
        return sealedFiles;
    }

    /// <summary>
    /// Writes the sealed files of <paramref name="manifest"/> into a new <see cref="ScratchDirectory"/>
    /// on the node (never onto the volume: they are decrypted), each chunk checked as it is read, laid
    /// out as the generation's directory was, for <see cref="AppFiles.PutBack(Manifest, DirectoryHandle)"/>.
    /// </summary>
    public static ScratchDirectory Unseal(Manifest manifest, PackReader packs) =>
        PackedFiles.WriteToScratch($"crik-files-{manifest.Generation:D6}", fallbackParent: null,
            manifest.Files.Where(f => f.IsStreamed && f.Path.Contains('/')).Select(f => (f.Path, f.Chunks!)), manifest.KeyId, packs);

    /// <summary>
    /// Puts the generation's saved paths back from its sealed files (see <see cref="Unseal(Manifest, PackReader)"/>); returns the
    /// extended attributes this node refused.
    /// </summary>
    public static IReadOnlyList<string> PutBack(Manifest manifest, PackReader packs)
    {
        using ScratchDirectory unsealed = Unseal(manifest, packs);
        return AppFiles.PutBack(manifest, unsealed.Directory);
    }
}
