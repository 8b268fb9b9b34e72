// Chunks/ owns content-addressed image chunks: cutting, naming, compressing, encrypting, packing, reuse across generations.

namespace Crik.Cli.Chunks;

/// <summary>
/// One piece of a streamed image: its name (its SHA-256, or with encryption its HMAC), and where its
/// stored bytes are: in the pack file of generation <see cref="Pack"/> (packs/NNNNNN.pack), at
/// <see cref="Offset"/>, <see cref="Length"/> bytes. When it is stored compressed or encrypted,
/// <see cref="PlainLength"/> is its length before, and <see cref="Codec"/> names its compression.
/// A generation's manifest lists its images as such pieces, reusing those older generations wrote.
/// </summary>
internal sealed record ChunkRef(string Id, long Pack, long Offset, int Length, int? PlainLength = null, string? Codec = null)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public int Size => PlainLength ?? Length;
}
