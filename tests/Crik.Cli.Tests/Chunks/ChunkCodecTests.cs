using System.Security.Cryptography;
using System.Text;
using Crik.Cli.Chunks;
using Crik.Cli.Configuration;
using Xunit;

namespace Crik.Cli.Tests.Chunks;

public class ChunkCodecTests
{
    private static readonly ChunkKey KeyA = ChunkKey.FromBytes(RandomNumberGenerator.GetBytes(32));
    private static readonly ChunkKey KeyB = ChunkKey.FromBytes(RandomNumberGenerator.GetBytes(32));
    private static readonly byte[] Text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a line of text that repeats\n", 20000)));
    private static readonly byte[] Noise = RandomNumberGenerator.GetBytes(300_000);

    [Theory]
    [InlineData("None", false)]
    [InlineData("Zstd", false)]
    [InlineData("Lz4", false)]
    [InlineData("None", true)]
    [InlineData("Zstd", true)]
    [InlineData("Lz4", true)]
    public void WhatIsEncodedDecodesToTheSameBytes(string kind, bool encrypted)
    {
        var compression = Enum.Parse<CompressionKind>(kind);
        var codec = new ChunkCodec(compression, 3, encrypted ? KeyA : null, encrypted ? [KeyA] : []);
        foreach (byte[] plain in new[] { Text, Noise })
        {
            (ChunkRef chunk, byte[] stored) = Encode(codec, plain);
            var decoded = new byte[plain.Length];
            codec.Decode(chunk, codec.KeyId, stored, decoded);
            Assert.Equal(plain, decoded);
            if (compression != CompressionKind.None && plain == Text)
            {
                Assert.True(stored.Length < plain.Length / 4, $"{stored.Length} bytes stored for {plain.Length} of text");
            }
            if (plain == Noise)
            {
                Assert.Null(chunk.Codec); // random bytes do not compress: stored as they are
            }
        }
    }

    [Fact]
    public void EncryptedChunksHideTheirContentAndTheirNameIsNotTheirHash()
    {
        var codec = new ChunkCodec(CompressionKind.None, 0, KeyA, [KeyA]);
        (ChunkRef chunk, byte[] stored) = Encode(codec, Text);
        Assert.Equal(-1, stored.AsSpan().IndexOf(Text.AsSpan(0, 64)));
        Assert.NotEqual(Convert.ToHexStringLower(SHA256.HashData(Text)), chunk.Id);
        (_, byte[] again) = Encode(codec, Text);
        Assert.NotEqual(stored, again); // a fresh nonce each time
    }

    [Fact]
    public void AFlippedBitAnotherKeyOrAnotherNameIsRefused()
    {
        var codec = new ChunkCodec(CompressionKind.Zstd, 3, KeyA, [KeyA]);
        (ChunkRef chunk, byte[] stored) = Encode(codec, Text);
        var output = new byte[Text.Length];
        byte[] flipped = (byte[])stored.Clone();
        flipped[flipped.Length / 2] ^= 1;
        Assert.Contains("does not authenticate", Assert.Throws<ChunkException>(() => codec.Decode(chunk, codec.KeyId, flipped, output)).Message, StringComparison.Ordinal);
        var other = new ChunkCodec(CompressionKind.Zstd, 3, KeyB, [KeyB, KeyA]);
        Assert.Throws<ChunkException>(() => new ChunkCodec(CompressionKind.None, 0, KeyB, [KeyB]).Decode(chunk, KeyA.Id, stored, output));
        Assert.Throws<ChunkException>(() => codec.Decode(chunk with { Id = new string('0', 64) }, codec.KeyId, stored, output));
        other.Decode(chunk, KeyA.Id, stored, output); // a crik with the old key among its keys reads it
        Assert.Equal(Text, output);
    }

    [Fact]
    public void APlaintextChunkIsCheckedAgainstItsSha256()
    {
        (ChunkRef chunk, byte[] stored) = Encode(ChunkCodec.Plain, Noise);
        stored[7] ^= 1;
        Assert.Contains("does not match its SHA-256", Assert.Throws<ChunkException>(() => ChunkCodec.Plain.Decode(chunk, null, stored, new byte[Noise.Length])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APlaintextChunkWithAnXxh3IsCheckedAgainstItAndItsNameIsNotAskedAgain()
    {
        (ChunkRef named, byte[] stored) = Encode(ChunkCodec.Plain, Noise);
        ChunkRef chunk = named with { Xxh3 = ChunkCodec.Plain.QuickCheck(Noise) };
        Assert.Matches("^[0-9a-f]{16}$", chunk.Xxh3);
        var output = new byte[Noise.Length];
        ChunkCodec.Plain.Decode(chunk with { Id = new string('0', 64) }, null, stored, output); // the XXH3 is what a read checks
        Assert.Equal(Noise, output);
        byte[] flipped = (byte[])stored.Clone();
        flipped[Noise.Length - 1] ^= 0x80;
        Assert.Contains("does not match its XXH3-64", Assert.Throws<ChunkException>(() => ChunkCodec.Plain.Decode(chunk, null, flipped, output)).Message, StringComparison.Ordinal);
        Assert.Throws<ChunkException>(() => ChunkCodec.Plain.Decode(chunk with { Xxh3 = "0000000000000000" }, null, stored, output));
        Assert.Null(new ChunkCodec(CompressionKind.None, 0, KeyA, [KeyA]).QuickCheck(Noise)); // nothing of an encrypted chunk's plaintext is stored
    }

    [Theory]
    [InlineData("short", false)]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", true)]
    [InlineData("not base64 at all, but long enough to be something", false)]
    [InlineData("correct horse battery staple 42!", false)]
    [InlineData("31 characters, and a line feed.\n", false)]
    public void AKeyFileHolds32BytesRawOrInBase64(string content, bool valid) =>
        Assert.Equal(valid, ChunkKey.Parse(Encoding.ASCII.GetBytes(content)) is not null);

    private static (ChunkRef Chunk, byte[] Stored) Encode(ChunkCodec codec, byte[] plain)
    {
        string name = codec.Name(plain);
        var stored = new byte[codec.MaxStoredBytes(plain.Length)];
        (int length, string? compression) = codec.Encode(plain, name, stored);
        var chunk = new ChunkRef(name, 1, 0, length, length == plain.Length && compression is null ? null : plain.Length, compression);
        return (chunk, stored[..length]);
    }
}
