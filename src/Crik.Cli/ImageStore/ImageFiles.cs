using Crik.Cli.Chunks;
using Crik.Cli.Interop;

namespace Crik.Cli.ImageStore;

/// <summary>
/// A generation's CRIU images written out as plain files, for the restores CRIU cannot do from a
/// stream: in --stream mode CRIU maps every private memory area writable before filling it, and
/// the kernel refuses that for an area larger than the node's memory, which is what the .NET
/// runtime (and anything else that reserves a large address range up front) has. The files go to
/// a new private directory in the system's temporary directory (the node's disk), or, when that
/// cannot be written, beside the generation; they are deleted when this is disposed.
/// </summary>
internal sealed class ImageFiles : IDisposable
{
    private readonly DirectoryHandle _parent;
    private readonly string _name;
    private readonly DirectoryHandle _directory;

    private ImageFiles(DirectoryHandle parent, string name, DirectoryHandle directory)
    {
        _parent = parent;
        _name = name;
        _directory = directory;
    }

    /// <summary>The directory CRIU reads the images from (a path to the directory crik holds open).</summary>
    public string ImagesDir => _directory.ProcPath;

    /// <summary>Where they are, for messages.</summary>
    public string Path => _directory.Path;

    /// <summary>Writes out every CRIU image of <paramref name="manifest"/>, each chunk checked as it is read.</summary>
    public static ImageFiles Write(Manifest manifest, PackReader packs, DirectoryHandle fallbackParent)
    {
        string name = $"crik-images-{manifest.Generation:D6}-{Guid.NewGuid().ToString("N")[..8]}";
        DirectoryHandle parent = fallbackParent.OpenOrCreateDirectory(".");
        DirectoryHandle directory;
        try
        {
            var temporary = DirectoryHandle.OpenOrCreate(System.IO.Path.GetTempPath().TrimEnd('/'));
            try
            {
                directory = temporary.CreateDirectory(name);
            }
            catch
            {
                temporary.Dispose();
                throw;
            }
            parent.Dispose();
            parent = temporary;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            directory = parent.CreateDirectory(name);
        }
        var files = new ImageFiles(parent, name, directory);
        try
        {
            var buffer = new byte[PageChunker.MaxBytes];
            foreach (ManifestFile image in manifest.Files.Where(f => f.IsStreamed && !f.Path.Contains('/')))
            {
                using var target = files._directory.CreateFile(image.Path);
                long offset = 0;
                foreach (ChunkRef chunk in image.Chunks!)
                {
                    packs.Read(chunk, manifest.KeyId, buffer);
                    RandomAccess.Write(target, buffer.AsSpan(0, chunk.Size), offset);
                    offset += chunk.Size;
                }
            }
            return files;
        }
        catch
        {
            files.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _directory.Dispose();
        try
        {
            _parent.DeleteTree(_name);
        }
        catch (IOException)
        {
            // Leftover image files are private (0700); the next restore does not look at them.
        }
        _parent.Dispose();
    }
}
