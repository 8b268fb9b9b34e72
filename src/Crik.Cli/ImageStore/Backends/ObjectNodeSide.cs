using Crik.Cli.Interop;
using Crik.Cli.ObjectStorage;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// Object storage's side on this node (<see cref="INodeDirectories"/>): none of its directories, since CRIU works in a scratch
/// directory of the caller's and reads every image from crik's image streamer; a local file goes up as one object.
/// </summary>
internal sealed class ObjectNodeSide(S3Client s3) : INodeDirectories
{
    /// <summary>Nothing: objects have no modes.</summary>
    public void MakePrivate(string location)
    {
    }

    /// <summary>Nothing is on the node: CRIU reads every image from crik's image streamer.</summary>
    public DirectoryHandle? OpenLocalDirectory(string key) => null;

    public T ReadLocalFiles<T>(Func<T> read) => read();

    /// <summary>None: CRIU works in a scratch directory of the caller's on the node.</summary>
    public DirectoryHandle? CreateLocalDirectory(string key) => null;

    /// <summary>Uploads the file (CRIU's log, at most 64 MiB of it); the caller deletes it.</summary>
    public bool PutLocalFile(DirectoryHandle directory, string name, SafeFileHandle file, string key)
    {
        s3.Put(key, FileContents.Read(file, 64L << 20));
        return false;
    }
}
