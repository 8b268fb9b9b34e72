using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// A store's side on this node, apart from its blobs (<see cref="IStoreBackend"/>): the directories CRIU writes into and reads
/// from, their modes, and files crik holds open put at keys. On a volume a generation's directory is in the store itself; object
/// storage has none (CRIU works in a scratch directory of the caller's, and reads every image from crik's image streamer).
/// </summary>
internal interface INodeDirectories
{
    /// <summary>
    /// Makes what is at <paramref name="location"/> private, best effort (one warning when it cannot); nothing in
    /// object storage, whose objects have no modes. A primitive of its own because only the caller knows that
    /// what it moved may come from anyone (a planted or unfinished directory set aside).
    /// </summary>
    void MakePrivate(string location);

    /// <summary>
    /// A new private directory at <paramref name="key"/> on this node, for CRIU to write into; a name there (a link
    /// included) is refused. Null in a store without directories (object storage).
    /// </summary>
    DirectoryHandle? CreateLocalDirectory(string key);

    /// <summary>
    /// The directory at <paramref name="key"/> ("" is the image directory) as a handle on this node, for CRIU, which
    /// reads and writes files; null when it is absent, and always in a store without directories (object storage).
    /// A link on the way is refused.
    /// </summary>
    DirectoryHandle? OpenLocalDirectory(string key);

    /// <summary>
    /// What <paramref name="read"/> gives, reading files in a directory <see cref="OpenLocalDirectory"/> opened: one call on the
    /// store, so that its failures are told apart as every call's are (a disk's from a network's: <see cref="DiskErrorsBackend"/>).
    /// </summary>
    T ReadLocalFiles<T>(Func<T> read);

    /// <summary>
    /// Puts a file crik holds open on this node (<paramref name="name"/> in <paramref name="directory"/>) at
    /// <paramref name="key"/>, replacing what is there (a planted link is replaced, never written through). True when
    /// it moved the file away itself (a volume renames it when both are on one file system); else the caller deletes it.
    /// </summary>
    bool PutLocalFile(DirectoryHandle directory, string name, SafeFileHandle file, string key);
}
