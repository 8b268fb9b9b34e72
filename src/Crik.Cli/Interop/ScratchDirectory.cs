namespace Crik.Cli.Interop;

/// <summary>
/// A new private (0700) directory on the node, in the system's temporary directory, for what crik
/// must write out in plaintext for a moment (decrypted saved files, image files for CRIU); deleted
/// when disposed. Never on the image volume unless the caller allows it for plaintext generations:
/// decrypted data must not land where others can read it or change it after crik checked it.
/// </summary>
internal sealed class ScratchDirectory : IDisposable
{
    private readonly DirectoryHandle _parent;
    private readonly string _name;

    private ScratchDirectory(DirectoryHandle parent, string name, DirectoryHandle directory)
    {
        _parent = parent;
        _name = name;
        Directory = directory;
    }

    public DirectoryHandle Directory { get; }

    /// <param name="fallbackParent">Where to make it when the temporary directory cannot be written; null to fail instead.</param>
    public static ScratchDirectory Create(string prefix, DirectoryHandle? fallbackParent)
    {
        string name = $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
        try
        {
            var temporary = DirectoryHandle.OpenOrCreate(Path.GetTempPath().TrimEnd('/'));
            try
            {
                return new ScratchDirectory(temporary, name, temporary.CreateDirectory(name));
            }
            catch
            {
                temporary.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (fallbackParent is null)
            {
                throw new NoScratchDirectoryException($"crik cannot make a private directory in {Path.GetTempPath()} for decrypted data "
                    + $"({e.Message}); give the container a writable /tmp (an emptyDir)", e);
            }
            DirectoryHandle parent = fallbackParent.OpenOrCreateDirectory(".");
            try
            {
                return new ScratchDirectory(parent, name, parent.CreateDirectory(name));
            }
            catch
            {
                parent.Dispose();
                throw;
            }
        }
    }

    public void Dispose()
    {
        Directory.Dispose();
        try
        {
            _parent.DeleteTree(_name);
        }
        catch (IOException)
        {
            // What is left is private (0700); nothing reads it again.
        }
        _parent.Dispose();
    }
}

/// <summary>The node has no temporary directory crik can write (full, read-only, or not crik's): never a checkpoint's fault.</summary>
internal sealed class NoScratchDirectoryException(string message, Exception inner) : IOException(message, inner);
