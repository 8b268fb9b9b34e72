using Crik.Cli.Chunks;
using Crik.Cli.Logging;
using Crik.Cli.Records;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Checks a generation's manifest (readable, authentic, for this crik's key and image directory) and that
/// every chunk of its streamed images is present in its pack; the files beside it are <see cref="GenerationFiles"/>'.
/// </summary>
internal static class ManifestVerifier
{
    /// <summary>What compression that does not pay and encryption can add to a chunk.</summary>
    private const int MaxOverhead = 64 << 10;

    /// <summary>
    /// Reads and checks the manifest alone (not the images it lists); null when it is usable. The
    /// manifest of an encrypted generation must authenticate (manifest.hmac) under its key when crik
    /// holds that key; whether crik may restore it at all is <see cref="KeyProblem"/>'s question.
    /// </summary>
    /// <param name="readMac">Reads manifest.hmac (null when there is none); asked only for an encrypted generation.</param>
    public static string? ReadManifest(byte[] json, Func<byte[]?> readMac, string name, ChunkCodec codec, out Manifest? manifest)
    {
        if (json.Length > ManifestReader.MaxBytes)
        {
            manifest = null;
            return $"its manifest is {Size.Format(json.Length)}, more than the {Size.Format(ManifestReader.MaxBytes)} any manifest needs";
        }
        string? problem = ManifestReader.TryParse(json, out manifest);
        if (problem is not null)
        {
            return problem;
        }
        if (manifest!.KeyId is { } keyId && codec.CanRead(keyId))
        {
            byte[]? mac = readMac();
            if (mac is null || !codec.Authenticates(json, System.Text.Encoding.ASCII.GetString(mac)))
            {
                manifest = null;
                return mac is null ? "its manifest says it is encrypted but has no manifest.hmac"
                    : "its manifest does not authenticate under its key: it was altered";
            }
        }
        if (manifest!.Generation != StoreLayout.ParseGeneration(name))
        {
            return $"its manifest names generation {manifest.Generation}";
        }
        return null;
    }

    /// <summary>
    /// Why crik must neither restore nor set aside this generation, or null: it is encrypted with a key
    /// crik was not given (it is kept for a crik that has the key), or crik encrypts and it is plaintext
    /// (crik with a key restores only what its keys authenticate; the generation stays in place).
    /// </summary>
    public static string? KeyProblem(Manifest manifest, ChunkCodec codec) =>
        manifest.KeyId is { } keyId ? codec.CanRead(keyId) ? null
            : $"it is encrypted with key {keyId}, which crik was not given (encryptionKeyFile, previousEncryptionKeyFile)"
        : codec.KeyId is not null ? "it is not encrypted, and crik with encryptionKeyFile restores only checkpoints its keys authenticate"
        : null;

    /// <summary>
    /// Why an encrypted generation is not restored in <paramref name="imageDir"/>, or null: its
    /// authenticated manifest names another image directory or prefix, so someone copied it here (a
    /// checkpoint of another pod that shares the key), or imageDir changed since.
    /// </summary>
    public static string? ElsewhereProblem(Manifest manifest, string imageDir) =>
        manifest.Encrypted && manifest.Store is { } store && store != imageDir
            ? $"its authenticated manifest says it was taken in {store}, not in {imageDir}: an encrypted checkpoint is restored only "
                + "where crik committed it (it was copied here, or imageDir changed)"
            : null;

    /// <summary>Null when every chunk of the manifest's streamed files is within a pack that is there (and, with <paramref name="readChunks"/>, reads back whole).</summary>
    public static string? VerifyChunks(Manifest manifest, PackReader packs, bool readChunks = false)
    {
        byte[]? buffer = readChunks ? new byte[PageChunker.MaxBytes] : null;
        var packLengths = new Dictionary<long, long?>(); // a pack's length is asked of it once, not for each of its thousands of chunks
        foreach (ManifestFile image in manifest.Files.Where(f => f.IsStreamed))
        {
            if (image.Path.StartsWith('/') || image.Path.Split('/').Any(p => p is "" or "." or ".."))
            {
                return $"its manifest names a file outside it: {image.Path}";
            }
            long total = 0;
            foreach (ChunkRef chunk in image.Chunks!)
            {
                if (chunk.WholeSize > PageChunker.MaxBytes || chunk.Length > PageChunker.MaxBytes + MaxOverhead)
                {
                    return $"{image.Path} has a chunk of {chunk.Length} bytes, more than crik ever writes";
                }
                if (chunk.IsSlice && (chunk.From is not >= 0 || chunk.Take <= 0 || chunk.From + chunk.Take > chunk.WholeSize))
                {
                    return $"{image.Path} has a slice of {chunk.Take} bytes from byte {chunk.From} of a chunk of {chunk.WholeSize}";
                }
                if (!packLengths.TryGetValue(chunk.Pack, out long? packLength))
                {
                    packLengths[chunk.Pack] = packLength = packs.PackLength(chunk.Pack);
                }
                if (packLength is null)
                {
                    return $"{image.Path} needs {StoreLayout.PacksDir}/{StoreLayout.PackName(chunk.Pack)}, which is missing";
                }
                if (chunk.Offset > packLength - chunk.Length)
                {
                    return $"{image.Path} needs bytes {chunk.Offset}-{chunk.Offset + chunk.Length} of {StoreLayout.PacksDir}/{StoreLayout.PackName(chunk.Pack)}, which has {packLength}";
                }
                if (buffer is not null)
                {
                    try
                    {
                        packs.Read(chunk, manifest.KeyId, buffer);
                    }
                    catch (ChunkException e)
                    {
                        return $"{image.Path}: {e.Message}";
                    }
                }
                total += chunk.Size;
            }
            if (total != image.Size)
            {
                return $"{image.Path} has chunks of {total} bytes, the manifest says {image.Size}";
            }
        }
        return null;
    }
}
