using System.Globalization;
using Crik.Cli.Chunks;
using Crik.Cli.Configuration;
using Crik.Cli.ImageStore;
using Crik.Cli.Logging;
using Crik.Cli.Records;
using Crik.Cli.Supervision;

namespace Crik.Cli.Commands;

/// <summary>
/// <c>crik images [--verify]</c>: the generations in the image directory, newest first, with what
/// each is and whether it can be restored. It changes nothing. With --verify it exits 1 when a
/// committed generation fails verification, for scripts and probes.
/// </summary>
internal static class ImagesCommand
{
    public static int Execute(string? configPath, string? imageDir, bool verify)
    {
        ChunkCodec codec = ChunkCodec.Plain;
        // --image-dir names the directory; a configuration, when there is one to read, still gives the keys.
        string? configured = null;
        if ((imageDir is null || configPath is not null) && !TryReadConfig(configPath, out configured, out codec))
        {
            return ExitCodes.UsageError;
        }
        imageDir ??= configured;
        if (imageDir is null)
        {
            StandardStreams.Error.WriteLine("crik: error: no imageDir: give --image-dir, or a configuration with imageDir");
            return ExitCodes.UsageError;
        }
        if (!S3Address.IsS3(imageDir) && !Directory.Exists(imageDir))
        {
            StandardStreams.Output.WriteLine($"{imageDir} does not exist: nothing has been checkpointed there");
            return 0;
        }
        if (!TryList(imageDir, verify, codec, out List<ListedGeneration> generations, out int failure))
        {
            return failure;
        }
        if (generations.Count == 0)
        {
            StandardStreams.Output.WriteLine($"{imageDir} holds no checkpoints");
            return 0;
        }
        PrintTable(generations, verify);
        return ExitCodeOfVerification(generations, verify);
    }

    /// <summary>The configuration's imageDir (null when it has none) and the codec its keys give; false, with the error written, when it cannot be read.</summary>
    private static bool TryReadConfig(string? configPath, out string? imageDir, out ChunkCodec codec)
    {
        imageDir = null;
        codec = ChunkCodec.Plain;
        try
        {
            CrikConfig config = ConfigLoader.Load(configPath).Config;
            imageDir = config.ImageDir;
            if (config.CheckpointingEnabled)
            {
                codec = ImageCodec.From(config, out IReadOnlyList<string> keyWarnings);
                foreach (string warning in keyWarnings)
                {
                    StandardStreams.Error.WriteLine($"crik: warning: {warning}");
                }
            }
            return true;
        }
        catch (ConfigException e)
        {
            StandardStreams.Error.WriteLine($"crik: error: {e.Message}");
            return false;
        }
    }

    private static bool TryList(string imageDir, bool verify, ChunkCodec codec, out List<ListedGeneration> generations, out int failure)
    {
        generations = [];
        failure = 0;
        try
        {
            generations = S3Address.IsS3(imageDir) ? InObjectStorage(imageDir, verify, codec) : OnAVolume(imageDir, verify, codec);
            return true;
        }
        catch (FormatException e)
        {
            StandardStreams.Error.WriteLine($"crik: error: {e.Message}");
            failure = ExitCodes.UsageError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            StandardStreams.Error.WriteLine($"crik: error: cannot read {imageDir}: {e.Message}");
            failure = ExitCodes.CrikFailure;
        }
        return false;
    }

    private static void PrintTable(List<ListedGeneration> generations, bool verify)
    {
        StandardStreams.Output.WriteLine(Row("GENERATION", "STATE", "TAKEN", "SIZE", "WRITTEN", "DUMP", "STORED", "CHAIN", "NODE", verify ? "VERIFIED" : "MANIFEST", "APP"));
        foreach (ListedGeneration g in generations)
        {
            StandardStreams.Output.WriteLine(Row(Cells(g)));
        }
        StandardStreams.Output.WriteLine("Only a committed generation that verifies is restored. CHAIN: the packs a generation's chunks are in"
            + (verify ? "." : "; --verify reads every chunk."));
    }

    private static string[] Cells(ListedGeneration g)
    {
        Manifest? m = g.Manifest;
        return
        [
            g.Generation.ToString(CultureInfo.InvariantCulture),
            g.Restores > 0 ? FormattableString.Invariant($"{g.State}, restored {g.Restores}x") : g.State,
            m is null ? "?" : m.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            m is null ? "?" : Size.Format(m.ImageBytes),
            m is null ? "?" : m.Format < 2 ? Size.Format(m.ImageBytes) : Size.Format(m.WrittenBytes),
            m is null ? "?" : FormattableString.Invariant($"{m.DumpSeconds:0.00} s"),
            m is null ? "?" : Stored(m),
            m is null ? "?" : Chain(m),
            m?.Host is { } host ? $"{host.Architecture}, {host.CpuFeatures.Count} cpu features" : "?",
            g.Problem ?? "ok",
            m is null ? "?" : string.Join(' ', m.Command),
        ];
    }

    private static int ExitCodeOfVerification(List<ListedGeneration> generations, bool verify)
    {
        // Retired and set-aside generations are never restored, so only committed ones decide the exit code.
        int failing = verify ? generations.Count(g => g.State == "committed" && g.Problem is not null) : 0;
        if (failing == 0)
        {
            return 0;
        }
        StandardStreams.Output.WriteLine(failing == 1
            ? "crik images: 1 committed generation fails verification: the next start would not restore it"
            : $"crik images: {failing} committed generations fail verification: the next start would not restore them");
        return ExitCodes.CommittedGenerationFailsVerification;
    }

    private static List<ListedGeneration> OnAVolume(string imageDir, bool verify, ChunkCodec codec)
    {
        using var store = new VolumeGenerationStore(imageDir, Serilog.Core.Logger.None, codec, readOnly: true);
        return store.ListGenerations(verify);
    }

    private static List<ListedGeneration> InObjectStorage(string imageDir, bool verify, ChunkCodec codec)
    {
        using var store = new ObjectGenerationStore(CheckpointStores.S3(imageDir), Serilog.Core.Logger.None, codec);
        return store.ListGenerations(verify);
    }

    /// <summary>How the generation's images are stored: "files" (format 1), or the compression and whether they are encrypted.</summary>
    private static string Stored(Manifest m) =>
        m.Format < 2 ? "files" : $"{m.Compression ?? "none"}, " + (m.KeyId is { } key ? $"encrypted ({key[..8]})" : "plaintext");

    /// <summary>The generations whose packs hold its chunks (its own and those it reuses), e.g. "3,5,7".</summary>
    private static string Chain(Manifest m)
    {
        List<long> packs = m.Files.Where(f => f.IsStreamed).SelectMany(f => f.Chunks!).Select(c => c.Pack).Distinct().Order().ToList();
        return packs.Count == 0 ? "-" : string.Join(',', packs.Select(p => p.ToString(CultureInfo.InvariantCulture)));
    }

    private static string Row(params string[] cells)
    {
        int[] widths = [10, 22, 20, 10, 10, 8, 26, 8, 24, 8];
        return string.Join("  ", cells.Select((cell, i) => i < widths.Length ? cell.PadRight(widths[i]) : cell)).TrimEnd();
    }
}
