using System.Security.Cryptography;
using System.Text;

namespace Crik.Cli.Chunks;

/// <summary>
/// A 256-bit key from <c>encryptionKeyFile</c> and the keys derived from it with HKDF-SHA256, one
/// per use: encrypting chunks (AES-256-GCM), naming chunks (HMAC-SHA256, so a chunk's name says
/// nothing about its content to whoever reads the volume), choosing chunk boundaries (SipHash),
/// authenticating manifests (HMAC-SHA256),
/// and the key's public id, which manifests record so a crik with several keys knows which one.
/// </summary>
internal sealed class ChunkKey
{
    private ChunkKey(byte[] master)
    {
        Encryption = Derive(master, "crik chunk encryption");
        Naming = Derive(master, "crik chunk naming");
        ManifestMac = Derive(master, "crik manifest authentication");
        byte[] boundaries = Derive(master, "crik chunk boundaries");
        Boundaries = BoundaryKey.From(boundaries);
        CryptographicOperations.ZeroMemory(boundaries);
        byte[] id = Derive(master, "crik key id");
        Id = Convert.ToHexStringLower(id.AsSpan(0, 8));
        CryptographicOperations.ZeroMemory(id);
    }

    public byte[] Encryption { get; }

    public byte[] Naming { get; }

    public byte[] ManifestMac { get; }

    /// <summary>Decides which pages end a chunk (see <see cref="BoundaryKey"/>).</summary>
    public BoundaryKey Boundaries { get; }

    /// <summary>16 hex digits that identify the key without revealing it.</summary>
    public string Id { get; }

    /// <summary>Reads a key file: 32 raw bytes, or their base64 (as a Kubernetes Secret mounted from a base64 value gives it).</summary>
    /// <param name="warning">Something to log that does not stop crik: the file's mode lets others read it.</param>
    /// <exception cref="KeyFileException">One line saying what is wrong with the file and how to make a good one.</exception>
    public static ChunkKey Load(string path, string key, out string? warning)
    {
        (byte[] content, warning) = KeyFile.Read(path, key);
        byte[]? master = Parse(content);
        try
        {
            return master is not null ? new ChunkKey(master)
                : throw (content.Length == 32 && LooksLikeText(content)
                    ? new KeyFileException($"{key} {path} holds 32 characters of text, which looks like a passphrase, not a key: "
                        + $"crik needs 32 random bytes or their base64 {KeyFile.HowToMakeOne}")
                    : KeyFile.NotAKey(path, key, content.Length));
        }
        finally
        {
            // Only the derived keys stay in memory.
            CryptographicOperations.ZeroMemory(content);
            CryptographicOperations.ZeroMemory(master);
        }
    }

    internal static ChunkKey FromBytes(byte[] master) => new(master);

    internal static byte[]? Parse(byte[] content)
    {
        if (content.Length == 32 && !LooksLikeText(content))
        {
            return content;
        }
        string text = Encoding.ASCII.GetString(content).Trim();
        Span<byte> decoded = stackalloc byte[64];
        byte[]? master = Convert.TryFromBase64String(text, decoded, out int length) && length == 32 ? decoded[..32].ToArray() : null;
        CryptographicOperations.ZeroMemory(decoded);
        return master;
    }

    /// <summary>
    /// Whether every byte is printable ASCII, a tab or a line end. 32 such bytes are a passphrase, not
    /// a raw key: 32 random bytes all fall among those 98 values with a chance of (98/256)^32, under 1 in 10^13.
    /// </summary>
    private static bool LooksLikeText(byte[] content) => content.All(b => b is >= 0x20 and < 0x7f or (byte)'\t' or (byte)'\n' or (byte)'\r');

    private static byte[] Derive(byte[] master, string purpose) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, master, 32, salt: [], info: Encoding.ASCII.GetBytes(purpose));
}

/// <summary>A key file that is missing, unreadable or not a 256-bit key.</summary>
internal sealed class KeyFileException(string message) : Exception(message);
