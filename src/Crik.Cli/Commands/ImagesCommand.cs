using System.Globalization;
using Crik.Cli.Configuration;
using Crik.Cli.ImageStore;
using Crik.Cli.Logging;
using Crik.Cli.Supervision;

namespace Crik.Cli.Commands;

/// <summary>
/// <c>crik images [--verify]</c>: the generations in the image directory, newest first, with what
/// each is and whether it can be restored. It changes nothing.
/// </summary>
internal static class ImagesCommand
{
    public static int Execute(string? configPath, string? imageDir, bool verify)
    {
        if (imageDir is null)
        {
            try
            {
                imageDir = ConfigLoader.Load(configPath).Config.ImageDir;
            }
            catch (ConfigException e)
            {
                StandardStreams.Error.WriteLine($"crik: error: {e.Message}");
                return ExitCodes.UsageError;
            }
        }
        if (imageDir is null)
        {
            StandardStreams.Error.WriteLine("crik: error: no imageDir: give --image-dir, or a configuration with imageDir");
            return ExitCodes.UsageError;
        }
        if (!Directory.Exists(imageDir))
        {
            StandardStreams.Output.WriteLine($"{imageDir} does not exist: nothing has been checkpointed there");
            return 0;
        }
        List<ListedGeneration> generations;
        try
        {
            generations = GenerationListing.Read(imageDir, verify);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            StandardStreams.Error.WriteLine($"crik: error: cannot read {imageDir}: {e.Message}");
            return ExitCodes.CrikFailure;
        }
        if (generations.Count == 0)
        {
            StandardStreams.Output.WriteLine($"{imageDir} holds no checkpoints");
            return 0;
        }
        StandardStreams.Output.WriteLine(Row("GENERATION", "STATE", "TAKEN", "SIZE", "DUMP", "NODE", verify ? "VERIFIED" : "MANIFEST", "APP"));
        foreach (ListedGeneration g in generations)
        {
            Manifest? m = g.Manifest;
            StandardStreams.Output.WriteLine(Row(
                g.Generation.ToString(CultureInfo.InvariantCulture),
                g.State,
                m is null ? "?" : m.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                m is null ? "?" : Size.Format(m.ImageBytes),
                m is null ? "?" : FormattableString.Invariant($"{m.DumpSeconds:0.00} s"),
                m?.Host is { } host ? $"{host.Architecture}, {host.CpuFeatures.Count} cpu features" : "?",
                g.Problem ?? "ok",
                m is null ? "?" : string.Join(' ', m.Command)));
        }
        StandardStreams.Output.WriteLine("Images are stored uncompressed and unencrypted; only a committed generation that verifies is restored.");
        return 0;
    }

    private static string Row(params string[] cells)
    {
        int[] widths = [10, 9, 20, 10, 8, 24, 8];
        return string.Join("  ", cells.Select((cell, i) => i < widths.Length ? cell.PadRight(widths[i]) : cell)).TrimEnd();
    }
}
