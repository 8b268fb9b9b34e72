using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.Model;

namespace Crik.Cli.ImageStore;

/// <summary>
/// A dump in progress: a new private directory (<c>.staging-NNNNNN-*</c>) that only crik and the
/// CRIU it runs write into. Finish it with <see cref="GenerationStore.Commit"/> or <see cref="GenerationStore.Abandon"/>.
/// </summary>
internal abstract class StagingCheckpoint(long generation, string name, DirectoryHandle directory, string logPath, PackWriter pack) : IDisposable
{
    public long Generation => generation;

    /// <summary>Where it is, for messages.</summary>
    public string Path => directory.Path;

    /// <summary>The directory CRIU writes the images into (a path to the directory crik holds open).</summary>
    public string ImagesDir => directory.ProcPath;

    /// <summary>CRIU's work directory and log name for the dump; the log ends up at <see cref="LogPath"/>.</summary>
    public CriuWorkDir Criu => new(directory.ProcPath, StoreLayout.DumpLogName(generation));

    /// <summary>Where CRIU's log of this dump is kept once the dump is committed or abandoned.</summary>
    public string LogPath => logPath;

    /// <summary>Where the images CRIU streams through crik go: new chunks into this generation's pack.</summary>
    public PackWriter Pack => pack;

    internal string Name => name;

    internal DirectoryHandle Directory => directory;

    /// <summary>
    /// Everything of the staged dump but its manifest goes to stable storage: the pack, and the files
    /// CRIU and crik left beside it. Returns those files as the manifest lists them, and the bytes
    /// written for this generation.
    /// </summary>
    public abstract (List<ManifestFile> Files, long WrittenBytes) Seal(ChunkCodec codec);

    /// <summary>
    /// Makes the staged generation visible as <paramref name="committedName"/> with its manifest, written
    /// last: the commit point. <paramref name="whyNot"/> is asked just before it; a reason abandons the
    /// commit (this throws). Throws only when the generation is not committed.
    /// </summary>
    public abstract void Publish(string committedName, byte[] manifest, string? mac, Func<string?> whyNot);

    /// <summary>Removes the staging area of a dump that will not be committed, keeping CRIU's log.</summary>
    public abstract void Abandon();

    /// <summary>Moves CRIU's log (and what criu printed) into logs/; failures are warnings.</summary>
    public abstract void KeepLog();

    public void Dispose()
    {
        pack.Dispose();
        directory.Dispose();
    }
}
