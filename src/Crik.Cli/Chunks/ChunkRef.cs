// Chunks/ owns content-addressed image chunks: cutting, naming by SHA-256, packing, reuse across generations.
namespace Crik.Cli.Chunks;

/// <summary>
/// One piece of a streamed image: its SHA-256, and where its bytes are: in the pack file of
/// generation <see cref="Pack"/> (packs/NNNNNN.pack), at <see cref="Offset"/>. A generation's
/// manifest lists its images as such pieces, reusing those older generations already wrote.
/// </summary>
internal sealed record ChunkRef(string Sha256, long Pack, long Offset, int Length);
