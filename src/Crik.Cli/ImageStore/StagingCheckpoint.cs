using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.Model;

namespace Crik.Cli.ImageStore;

/// <summary>
/// A dump in progress: a new private directory (<c>.staging-NNNNNN-*</c>) that only crik and the
/// CRIU it runs write into. Finish it with <see cref="CheckpointStore.Commit"/> or <see cref="CheckpointStore.Abandon"/>.
/// </summary>
internal sealed class StagingCheckpoint(long generation, string name, DirectoryHandle directory, string logPath, PackWriter pack) : IDisposable
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

    public void Dispose()
    {
        pack.Dispose();
        directory.Dispose();
    }
}
