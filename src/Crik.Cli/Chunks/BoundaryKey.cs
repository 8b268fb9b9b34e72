using System.Buffers.Binary;
using System.Numerics;

namespace Crik.Cli.Chunks;

/// <summary>
/// With encryption, which pages end a chunk depends on a key: a page's fingerprint goes through
/// SipHash-2-4 under this key. Chunk lengths (in the manifest for all to read) then say nothing
/// about content someone can guess, while the same key still cuts the same memory the same way,
/// so generations under one key share chunks.
/// </summary>
internal readonly record struct BoundaryKey(ulong K0, ulong K1)
{
    public static BoundaryKey From(ReadOnlySpan<byte> key) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(key), BinaryPrimitives.ReadUInt64LittleEndian(key[8..]));

    /// <summary>SipHash-2-4 of one 64-bit word (its eight bytes, little-endian).</summary>
    public ulong Hash(ulong word)
    {
        ulong v0 = K0 ^ 0x736f6d6570736575, v1 = K1 ^ 0x646f72616e646f6d, v2 = K0 ^ 0x6c7967656e657261, v3 = K1 ^ 0x7465646279746573;
        Compress(word, ref v0, ref v1, ref v2, ref v3);
        Compress(8UL << 56, ref v0, ref v1, ref v2, ref v3); // the last block: the message's length
        v2 ^= 0xff;
        for (int i = 0; i < 4; i++)
        {
            Round(ref v0, ref v1, ref v2, ref v3);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }

    private static void Compress(ulong block, ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v3 ^= block;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= block;
    }

    private static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v0 += v1;
        v1 = BitOperations.RotateLeft(v1, 13) ^ v0;
        v0 = BitOperations.RotateLeft(v0, 32);
        v2 += v3;
        v3 = BitOperations.RotateLeft(v3, 16) ^ v2;
        v0 += v3;
        v3 = BitOperations.RotateLeft(v3, 21) ^ v0;
        v2 += v1;
        v1 = BitOperations.RotateLeft(v1, 17) ^ v2;
        v2 = BitOperations.RotateLeft(v2, 32);
    }
}
