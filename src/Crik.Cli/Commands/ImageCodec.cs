using Crik.Cli.Chunks;
using Crik.Cli.Configuration;

namespace Crik.Cli.Commands;

/// <summary>The chunk codec a configuration asks for: compression, and the keys from encryptionKeyFile and previousEncryptionKeyFile.</summary>
internal static class ImageCodec
{
    /// <summary>The codec; throws <see cref="ConfigException"/> with one line when a key file or a library is not usable.</summary>
    /// <param name="warnings">What to log about the key files that does not stop crik (modes that let others read them).</param>
    public static ChunkCodec From(CrikConfig config, out IReadOnlyList<string> warnings)
    {
        warnings = [];
        if (Compression.Unavailable(config.Compression) is { } missing)
        {
            throw new ConfigException(missing);
        }
        int level = config.Compression switch
        {
            CompressionKind.Zstd => config.CompressionLevel ?? Compression.DefaultZstdLevel,
            _ => config.CompressionLevel ?? 1,
        };
        if (config.PreviousEncryptionKeyFile is not null && config.EncryptionKeyFile is null)
        {
            throw new ConfigException($"{ConfigKeys.PreviousEncryptionKeyFile} is set without {ConfigKeys.EncryptionKeyFile}: give the current key too");
        }
        try
        {
            string? keyWarning = null, previousWarning = null;
            ChunkKey? key = config.EncryptionKeyFile is { } path ? ChunkKey.Load(path, ConfigKeys.EncryptionKeyFile, out keyWarning) : null;
            ChunkKey? previous = config.PreviousEncryptionKeyFile is { } old ? ChunkKey.Load(old, ConfigKeys.PreviousEncryptionKeyFile, out previousWarning) : null;
            warnings = new[] { keyWarning, previousWarning }.OfType<string>().ToList();
            return new ChunkCodec(config.Compression, level, key, new[] { key, previous }.OfType<ChunkKey>().ToList());
        }
        catch (KeyFileException e)
        {
            throw new ConfigException(e.Message);
        }
    }
}
