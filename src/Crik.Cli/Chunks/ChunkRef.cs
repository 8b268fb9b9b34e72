// Chunks/ owns content-addressed image chunks: cutting, naming, compressing, encrypting, packing, reuse across generations.

namespace Crik.Cli.Chunks;

/// <summary>
/// One piece of a streamed image: its name (its SHA-256, or with encryption its HMAC), and where its
/// stored bytes are: in the pack file of generation <see cref="Pack"/> (packs/NNNNNN.pack), at
/// <see cref="Offset"/>, <see cref="Length"/> bytes. When it is stored compressed or encrypted,
/// <see cref="PlainLength"/> is its length before, and <see cref="Codec"/> names its compression.
/// A generation's manifest lists its images as such pieces, reusing those older generations wrote.
/// A piece may be a slice of a chunk: its <see cref="Take"/> bytes from <see cref="From"/> (the pages of
/// an image that the app did not write since an older checkpoint, taken from that one's chunks).
/// A plaintext chunk written by this crik also has <see cref="Xxh3"/>, which a read checks instead of the SHA-256.
/// </summary>
internal sealed record ChunkRef(string Id, long Pack, long Offset, int Length, int? PlainLength = null, string? Codec = null,
    int? From = null, int? Take = null, string? Xxh3 = null)
{
    /// <summary>The bytes of the piece: a slice's, else the whole chunk's.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int Size => Take ?? WholeSize;

    /// <summary>The bytes of the whole chunk as stored before compression or encryption.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int WholeSize => PlainLength ?? Length;

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsSlice => Take is not null;

    /// <summary>The start of its name, as crik's lines show a chunk.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string ShortId => Id.Length > 12 ? Id[..12] : Id;

    /// <summary>The whole chunk this piece is of.</summary>
    public ChunkRef Whole() => IsSlice ? this with { From = null, Take = null } : this;

    /// <summary><paramref name="take"/> bytes of this piece from its byte <paramref name="from"/>: the whole chunk when that is all of it.</summary>
    public ChunkRef Slice(int from, int take)
    {
        CheckHolds(from, take);
        return Part((From ?? 0) + from, take);
    }

    /// <summary>
    /// <paramref name="take"/> bytes of the whole chunk from its byte <paramref name="from"/>: this piece itself when it is those
    /// bytes (no record made anew), the whole chunk when it is all of it.
    /// </summary>
    public ChunkRef Part(int from, int take)
    {
        if (from == (From ?? 0) && take == Size)
        {
            return this;
        }
        if (from < 0 || take <= 0 || from + take > WholeSize)
        {
            throw new ArgumentOutOfRangeException(nameof(take), $"{take} bytes from {from} of a chunk of {WholeSize}");
        }
        return from == 0 && take == WholeSize ? Whole() : this with { From = from, Take = take };
    }

    /// <summary>Throws unless this piece holds <paramref name="take"/> bytes from its byte <paramref name="from"/>.</summary>
    public void CheckHolds(long from, long take)
    {
        if (from < 0 || take <= 0 || from + take > Size)
        {
            throw new ArgumentOutOfRangeException(nameof(take), $"{take} bytes from {from} of a piece of {Size}");
        }
    }
}
