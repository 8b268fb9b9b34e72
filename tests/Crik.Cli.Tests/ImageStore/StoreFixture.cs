using Crik.Cli.Chunks;
using Crik.Cli.ImageStore;
using Crik.Cli.Interop;
using Crik.Cli.Model;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>Small steps the store tests share.</summary>
internal static class StoreFixture
{
    /// <summary>Stages one file (and, optionally, a CRIU log in the work directory) and commits it.</summary>
    public static CommittedCheckpoint Commit(VolumeGenerationStore store, string file, string content, int keep = 2, string? criuLog = null,
        IReadOnlyList<string>? command = null)
    {
        using StagingCheckpoint staging = store.BeginCheckpoint();
        File.WriteAllText(Path.Combine(staging.Path, file), content);
        if (criuLog is not null)
        {
            File.WriteAllText(Path.Combine(staging.Path, staging.Criu.LogName), criuLog);
        }
        return store.Commit(staging, new Manifest { RootPid = 9001, Command = command ?? ["app"] }, keep).Checkpoint;
    }

    public static string? Verify(string directory)
    {
        using var handle = DirectoryHandle.OpenOrCreate(directory);
        using var packs = new PackReader(generation => File.Exists(PackPath(directory, generation))
            ? File.OpenHandle(PackPath(directory, generation)) : null);
        return ManifestVerifier.Verify(handle, Path.GetFileName(directory), packs, ChunkCodec.Plain, out _, readChunks: true);
    }

    private static string PackPath(string checkpointDirectory, long generation) =>
        Path.Combine(Path.GetDirectoryName(checkpointDirectory)!, "packs", generation.ToString("D6", System.Globalization.CultureInfo.InvariantCulture) + ".pack");
}
