using Crik.Cli.Chunks;
using Crik.Cli.ImageStore;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Records;

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

    /// <summary>Checks a generation's manifest and every file and chunk of it, as <c>crik images --verify</c> does.</summary>
    public static string? Verify(string directory)
    {
        string name = Path.GetFileName(directory);
        using var backend = new VolumeBackend(Path.GetDirectoryName(directory)!, Serilog.Core.Logger.None, readOnly: true);
        using var packs = Crik.Cli.Tests.Chunks.PacksOf.Files(generation => File.Exists(PackPath(directory, generation))
            ? File.OpenHandle(PackPath(directory, generation)) : null);
        byte[]? json = backend.Read($"{name}/{Manifest.FileName}", ManifestReader.MaxBytes);
        return json is null ? "it has no manifest"
            : ManifestVerifier.ReadManifest(json, () => backend.Read($"{name}/{Manifest.MacFileName}", ManifestReader.MaxBytes), name, ChunkCodec.Plain, out Manifest? manifest)
                ?? GenerationVerifier.VerifyContents(backend, backend.NodeSide, name, manifest!, packs, readChunks: true);
    }

    private static string PackPath(string checkpointDirectory, long generation) =>
        Path.Combine(Path.GetDirectoryName(checkpointDirectory)!, "packs", generation.ToString("D6", System.Globalization.CultureInfo.InvariantCulture) + ".pack");
}
