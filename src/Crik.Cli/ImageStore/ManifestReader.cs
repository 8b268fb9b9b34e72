using System.Text.Json;
using Crik.Cli.Logging;
using Crik.Cli.Records;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Reads a manifest without ever throwing: whatever is on the volume (a JSON null in any field, a
/// wrong type, a huge file, not JSON at all) is either a manifest whose every field is usable, or
/// one line saying why the checkpoint is not restorable.
/// </summary>
internal static class ManifestReader
{
    /// <summary>A manifest of a many-GiB checkpoint is a few hundred KiB; anything this big is not one.</summary>
    public const long MaxBytes = 16 << 20;

    /// <summary>Null and a manifest when it is usable; otherwise what is wrong.</summary>
    public static string? TryParse(ReadOnlySpan<byte> json, out Manifest? manifest)
    {
        manifest = null;
        if (json.Length > MaxBytes)
        {
            return $"its manifest is {Size.Format(json.Length)}, more than the {Size.Format(MaxBytes)} any manifest needs";
        }
        try
        {
            manifest = JsonSerializer.Deserialize(json, ManifestJsonContext.Default.Manifest);
        }
        catch (JsonException e)
        {
            return $"its manifest is not valid JSON ({e.Message})";
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            return $"its manifest cannot be read ({e.Message})";
        }
        string? problem = manifest is null ? "its manifest is null" : Problem(manifest);
        if (problem is not null)
        {
            manifest = null;
        }
        return problem;
    }

    private static string? Problem(Manifest m)
    {
        if (m.Format is < Manifest.OldestFormat or > Manifest.PackedPiecesFormat)
        {
            return $"its manifest has format {m.Format}, which this crik does not know (it reads {Manifest.OldestFormat} to {Manifest.PackedPiecesFormat}; a newer crik wrote it)";
        }
        return Missing("command", m.Command is null || m.Command.Count == 0 || m.Command.Any(a => a is null))
            ?? Missing("criuVersion", m.CriuVersion is null)
            ?? Missing("treePids", m.TreePids is null)
            ?? Missing("stdio", m.Stdio is null || m.Stdio.Any(s => s is null))
            ?? Missing("externalMounts", m.ExternalMounts is null || m.ExternalMounts.Any(x => x?.Path is null || x.Key is null))
            ?? Missing("additionalPaths", m.AdditionalPaths is null || m.AdditionalPaths.Any(p => p is null))
            ?? Missing("files", m.Files is null || m.Files.Any(f => f?.Path is null || f.Crc32c is null || f.Crc32c.Any(c => c is null)))
            ?? Missing("chunks", m.Files!.Any(f => f.Chunks is not null && f.Chunks.Any(c => c?.Id is null || c.Id.Length != 64
                || c.Pack <= 0 || c.Offset < 0 || c.Length <= 0 || c.PlainLength <= 0 || (c.Codec is not null && Chunks.ChunkCodec.ParseCodec(c.Codec) is null))))
            ?? Missing("compression", m.Compression is not null && m.Compression is not ("none" or "zstd" or "lz4"))
            ?? Missing("keyId", m.KeyId is not null && (m.KeyId.Length != 16 || !m.KeyId.All(char.IsAsciiHexDigitLower)))
            ?? Missing("app", m.App is not null && (m.App.Command is null || m.App.Command.Any(a => a is null)))
            ?? Missing("host", m.Host is not null && (m.Host.Architecture is null || m.Host.Kernel is null || m.Host.CpuFeatures is null || m.Host.CpuFeatures.Any(f => f is null)))
            ?? Missing("extraFiles", m.ExtraFiles is not null && m.ExtraFiles.Any(f => f?.Path is null || f.Kind is null))
            ?? (m.Files!.Count == 0 || m.RootPid <= 0 ? "its manifest lists no images" : null);
    }

    private static string? Missing(string field, bool missing) => missing ? $"its manifest has no usable {field}" : null;
}
