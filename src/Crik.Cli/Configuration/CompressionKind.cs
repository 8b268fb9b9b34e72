
namespace Crik.Cli.Configuration;

/// <summary>The compression a chunk was stored with: <c>compression</c> in the configuration.</summary>
internal enum CompressionKind
{
    None,
    Zstd,
    Lz4,
}
