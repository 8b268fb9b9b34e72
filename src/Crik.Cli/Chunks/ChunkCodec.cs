using System.Buffers;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using Crik.Cli.Configuration;

namespace Crik.Cli.Chunks;

/// <summary>
/// How chunks are named and stored: compressed (zstd or lz4, kept only when smaller) and, with a
/// key, encrypted and authenticated with AES-256-GCM (a random 96-bit nonce per chunk, the chunk's
/// name as associated data, so a chunk moved under another name is refused). Without a key a
/// chunk's name is its SHA-256; with one it is an HMAC, so names reveal nothing about content.
/// </summary>
internal sealed class ChunkCodec(CompressionKind compression, int level, ChunkKey? key, IReadOnlyList<ChunkKey> readKeys)
{
    public const int NonceBytes = 12;
    public const int TagBytes = 16;

    public static readonly ChunkCodec Plain = new(CompressionKind.None, 0, null, []);

    public CompressionKind Compression => compression;

    /// <summary>The id of the key new chunks and manifests are written with; null when they are plaintext.</summary>
    public string? KeyId => key?.Id;

    /// <summary>The key that chooses where new chunks end; null without encryption.</summary>
    public BoundaryKey? Boundaries => key?.Boundaries;

    public bool StoresAsIs => compression == CompressionKind.None && key is null;

    /// <summary>
    /// Has the system's cryptography library loaded and set up (on Linux, OpenSSL: a few milliseconds from a cold
    /// disk), so that the first chunk a restore checks does not wait for it.
    /// </summary>
    public static void LoadHashing() => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>A chunk's name: its SHA-256, or with a key its HMAC-SHA256 under the naming key.</summary>
    public string Name(ReadOnlySpan<byte> plain) => Convert.ToHexStringLower(key is null ? SHA256.HashData(plain) : HMACSHA256.HashData(key.Naming, plain));

    /// <summary>
    /// What a read of a plaintext chunk checks it against: the XXH3-64 of its plain bytes, in hex (null with a key,
    /// whose authentication tag checks it, and which a hash of the plaintext must not be stored beside).
    /// A read is checked for what went wrong on the way (a torn write, a flipped bit, a block of zeros), and XXH3 finds
    /// that as surely, at 10 times the speed of the SHA-256 that names the chunk, which was half of an eager restore's CPU
    /// where a page fault is cheap. It guards nothing the SHA-256 would against someone who can write the store:
    /// without a key, they can rewrite the manifest as well.
    /// </summary>
    public string? QuickCheck(ReadOnlySpan<byte> plain) => key is null ? Xxh3Hex(plain) : null;

    /// <summary>The largest stored form of a chunk of <paramref name="plainLength"/> bytes.</summary>
    public int MaxStoredBytes(int plainLength) =>
        Math.Max(plainLength, Chunks.Compression.Bound(compression, plainLength)) + (key is null ? 0 : NonceBytes + TagBytes);

    /// <summary>Encodes a chunk into <paramref name="stored"/>; returns its length and the compression kept (null: none).</summary>
    public (int Length, string? Codec) Encode(ReadOnlySpan<byte> plain, string name, Span<byte> stored)
    {
        byte[]? compressed = null;
        try
        {
            ReadOnlySpan<byte> body = plain;
            string? codec = null;
            if (compression != CompressionKind.None)
            {
                compressed = ArrayPool<byte>.Shared.Rent(Chunks.Compression.Bound(compression, plain.Length));
                int length = Chunks.Compression.Compress(compression, level, plain, compressed);
                if (length < plain.Length)
                {
                    body = compressed.AsSpan(0, length);
                    codec = CodecName(compression);
                }
            }
            if (key is null)
            {
                body.CopyTo(stored);
                return (body.Length, codec);
            }
            Span<byte> nonce = stored[..NonceBytes];
            RandomNumberGenerator.Fill(nonce);
            using var aes = new AesGcm(key.Encryption, TagBytes);
            aes.Encrypt(nonce, body, stored.Slice(NonceBytes, body.Length), stored.Slice(NonceBytes + body.Length, TagBytes), Encoding.ASCII.GetBytes(name));
            return (NonceBytes + body.Length + TagBytes, codec);
        }
        finally
        {
            if (compressed is not null)
            {
                ArrayPool<byte>.Shared.Return(compressed, clearArray: key is not null);
            }
        }
    }

    /// <summary>
    /// Whether a chunk is stored as its plain bytes (no key, no compression): it can then be read
    /// straight into place and checked there with <see cref="CheckPlain"/> instead of decoded.
    /// </summary>
    public static bool IsStoredAsIs(ChunkRef chunk, string? keyId) => keyId is null && chunk.Codec is null && chunk.Length == chunk.WholeSize;

    /// <summary>
    /// Throws <see cref="ChunkException"/> unless <paramref name="plain"/> is the content of the plaintext chunk: its
    /// <see cref="ChunkRef.Xxh3"/> when it has one (<see cref="QuickCheck"/>), else its SHA-256, its name.
    /// </summary>
    public static void CheckPlain(ChunkRef chunk, ReadOnlySpan<byte> plain)
    {
        if (chunk.Xxh3 is { } xxh3 ? Xxh3Hex(plain) != xxh3 : Convert.ToHexStringLower(SHA256.HashData(plain)) != chunk.Id)
        {
            throw new ChunkException($"chunk {chunk.ShortId} in pack {chunk.Pack} (offset {chunk.Offset}) does not match its {(chunk.Xxh3 is null ? "SHA-256" : "XXH3-64")}");
        }
    }

    private static string Xxh3Hex(ReadOnlySpan<byte> plain) => XxHash3.HashToUInt64(plain).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Decodes a stored chunk into <paramref name="plain"/> (exactly its plain length) and checks it:
    /// the GCM tag when it is encrypted (under the key <paramref name="keyId"/>), <see cref="CheckPlain"/> when not.
    /// </summary>
    public void Decode(ChunkRef chunk, string? keyId, ReadOnlySpan<byte> stored, Span<byte> plain)
    {
        byte[]? decrypted = null;
        try
        {
            ReadOnlySpan<byte> body = stored;
            if (keyId is not null)
            {
                ChunkKey readKey = readKeys.FirstOrDefault(k => k.Id == keyId)
                    ?? throw new ChunkException($"chunk {chunk.ShortId} is encrypted with key {keyId}, which crik was not given");
                if (stored.Length < NonceBytes + TagBytes)
                {
                    throw new ChunkException($"chunk {chunk.ShortId} is too short to be encrypted");
                }
                int length = stored.Length - NonceBytes - TagBytes;
                decrypted = ArrayPool<byte>.Shared.Rent(length);
                try
                {
                    using var aes = new AesGcm(readKey.Encryption, TagBytes);
                    aes.Decrypt(stored[..NonceBytes], stored.Slice(NonceBytes, length), stored[^TagBytes..], decrypted.AsSpan(0, length),
                        Encoding.ASCII.GetBytes(chunk.Id));
                }
                catch (AuthenticationTagMismatchException)
                {
                    throw new ChunkException($"chunk {chunk.ShortId} in pack {chunk.Pack} (offset {chunk.Offset}) does not authenticate: it was altered, or written with another key");
                }
                body = decrypted.AsSpan(0, length);
            }
            if (chunk.Codec is { } codec)
            {
                Chunks.Compression.Decompress(ParseCodec(codec) ?? throw new ChunkException($"chunk {chunk.ShortId} uses an unknown compression \"{codec}\""), body, plain);
            }
            else if (body.Length == plain.Length)
            {
                body.CopyTo(plain);
            }
            else
            {
                throw new ChunkException($"chunk {chunk.ShortId} holds {body.Length} bytes, its manifest says {plain.Length}");
            }
            if (keyId is null)
            {
                CheckPlain(chunk, plain);
            }
        }
        catch (DllNotFoundException e)
        {
            throw new ChunkException($"chunk {chunk.ShortId} is compressed with {chunk.Codec}, whose library this container lacks ({e.Message})");
        }
        finally
        {
            if (decrypted is not null)
            {
                ArrayPool<byte>.Shared.Return(decrypted, clearArray: true);
            }
        }
    }

    /// <summary>The manifest's HMAC under the current key; null without one.</summary>
    public string? ManifestMac(ReadOnlySpan<byte> manifest) =>
        key is null ? null : Convert.ToHexStringLower(HMACSHA256.HashData(key.ManifestMac, manifest));

    /// <summary>Whether <paramref name="mac"/> is the manifest's HMAC under one of the keys crik can read with.</summary>
    public bool Authenticates(byte[] manifest, string mac) =>
        readKeys.Any(k => CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Convert.ToHexStringLower(HMACSHA256.HashData(k.ManifestMac, manifest))), Encoding.ASCII.GetBytes(mac.Trim())));

    /// <summary>Whether crik holds the key with this id.</summary>
    public bool CanRead(string keyId) => readKeys.Any(k => k.Id == keyId);

    public static string CodecName(CompressionKind kind) => kind.ToString().ToLowerInvariant();

    public static CompressionKind? ParseCodec(string name) => name switch
    {
        "zstd" => CompressionKind.Zstd,
        "lz4" => CompressionKind.Lz4,
        _ => null,
    };

}
