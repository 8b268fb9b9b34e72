using System.Text.Json;
using Crik.Cli.Chunks;

namespace Crik.Cli.Records;

/// <summary>
/// The pieces of an image in a manifest of format 5: the three numbers of each piece (its chunk's place in the image's list
/// of chunks, its first byte and its length in that chunk) as unsigned LEB128, one string of base64. Written as a JSON list
/// (format 4), the 160,000 numbers of a 2 GiB app whose writes are scattered took about half of the time a restore spent
/// reading its manifest, on the way to its first answer.
/// </summary>
internal static class PackedPieces
{
    /// <summary>The numbers, three a piece, packed.</summary>
    public static byte[] Pack(List<long> numbers)
    {
        var packed = new byte[numbers.Count * 10];
        int length = 0;
        foreach (long number in numbers)
        {
            for (ulong rest = (ulong)number; ; rest >>= 7)
            {
                if (rest < 0x80)
                {
                    packed[length++] = (byte)rest;
                    break;
                }
                packed[length++] = (byte)(rest | 0x80);
            }
        }
        return packed[..length];
    }

    /// <summary>The pieces <paramref name="packed"/> holds, of <paramref name="chunks"/>; a number cut off, too big or out of place is a manifest that cannot be read.</summary>
    public static List<ChunkRef> Unpack(ReadOnlySpan<byte> packed, string? path, List<ChunkRef> chunks)
    {
        var pieces = new List<ChunkRef>();
        Span<long> numbers = stackalloc long[3];
        int count = 0, at = 0;
        while (at < packed.Length)
        {
            numbers[count++] = Next(packed, ref at, path);
            if (count == 3)
            {
                pieces.Add(ManifestFileJson.Piece(path, chunks, pieces.Count, numbers[0], numbers[1], numbers[2]));
                count = 0;
            }
        }
        if (count != 0)
        {
            throw ManifestFileJson.NotWhole(path);
        }
        return pieces;
    }

    private static long Next(ReadOnlySpan<byte> packed, ref int at, string? path)
    {
        ulong value = 0;
        for (int shift = 0; shift < 63 && at < packed.Length; shift += 7)
        {
            byte next = packed[at++];
            value |= (ulong)(next & 0x7f) << shift;
            if (next < 0x80)
            {
                return (long)value;
            }
        }
        throw new JsonException($"the pieces of {path} end in the middle of a number, or hold one too big");
    }
}
