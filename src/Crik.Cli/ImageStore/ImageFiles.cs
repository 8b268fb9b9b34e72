using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Crik.Cli.Records;

namespace Crik.Cli.ImageStore;

/// <summary>
/// A generation's CRIU images written out as plain files, for the restores CRIU cannot do from a
/// stream: in --stream mode CRIU maps every private memory area writable before filling it, and
/// the kernel refuses that for an area larger than the node's memory, which is what the .NET
/// runtime (and anything else that reserves a large address range up front) has. The files go to a
/// <see cref="ScratchDirectory"/> on the node (for a plaintext generation, beside it on the volume
/// when the node has no writable temporary directory); they are deleted when this is disposed.
/// </summary>
internal sealed class ImageFiles : IDisposable
{
    private readonly ScratchDirectory _scratch;

    private ImageFiles(ScratchDirectory scratch) => _scratch = scratch;

    /// <summary>The directory CRIU reads the images from (a path to the directory crik holds open).</summary>
    public string ImagesDir => _scratch.Directory.ProcPath;

    /// <summary>Writes out every CRIU image of <paramref name="manifest"/>, each chunk checked as it is read.</summary>
    public static ImageFiles Write(Manifest manifest, PackReader packs, Interop.DirectoryHandle generationDirectory) =>
        new(PackedFiles.WriteToScratch($"crik-images-{manifest.Generation:D6}", manifest.Encrypted ? null : generationDirectory,
            manifest.Files.Where(f => f.IsStreamed && !f.Path.Contains('/')).Select(f => (f.Path, f.Chunks!)), manifest.KeyId, packs));

    public void Dispose() => _scratch.Dispose();
}
