using System.Buffers.Binary;

namespace Crik.Cli.Criu;

/// <summary>
/// CRIU's image format, as far as crik reads and writes it: two 32-bit magic numbers, then each
/// protobuf message after its 32-bit little-endian length. Only integer fields are read; messages
/// are written with integer fields only.
/// </summary>
internal static class ImageWire
{
    /// <summary>The first magic number of every CRIU image but the inventory's.</summary>
    public const uint CommonMagic = 0x54564319;

    public static void WriteMagic(Stream output, uint magic)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(header, CommonMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], magic);
        output.Write(header);
    }

    public static void WriteMessage(Stream output, (int Field, ulong Value)[] fields)
    {
        Span<byte> body = stackalloc byte[fields.Length * 11];
        int length = 0;
        foreach ((int field, ulong value) in fields)
        {
            length += WriteVarint(body[length..], (ulong)field << 3);
            length += WriteVarint(body[length..], value);
        }
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)length);
        output.Write(size);
        output.Write(body[..length]);
    }

    /// <summary>A message of integer fields only, as protobuf encodes it (no length before it).</summary>
    public static byte[] EncodeNumbers(IEnumerable<(int Field, ulong Value)> fields)
    {
        var output = new MemoryStream();
        Span<byte> number = stackalloc byte[10];
        foreach ((int field, ulong value) in fields)
        {
            output.Write(number[..WriteVarint(number, (ulong)field << 3)]);
            output.Write(number[..WriteVarint(number, value)]);
        }
        return output.ToArray();
    }

    /// <summary>An embedded message as a length-delimited field of the message being written.</summary>
    public static void WriteEmbedded(Stream output, int field, ReadOnlySpan<byte> message)
    {
        Span<byte> number = stackalloc byte[10];
        output.Write(number[..WriteVarint(number, ((ulong)field << 3) | 2)]);
        output.Write(number[..WriteVarint(number, (ulong)message.Length)]);
        output.Write(message);
    }

    /// <summary>A message of the image, after its 32-bit length.</summary>
    public static void WriteLengthPrefixed(Stream output, ReadOnlySpan<byte> message)
    {
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)message.Length);
        output.Write(size);
        output.Write(message);
    }

    private static int WriteVarint(Span<byte> into, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            into[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        into[i++] = (byte)value;
        return i;
    }
}

/// <summary>The messages of a CRIU image after its magic numbers, one by one; throws <see cref="FormatException"/> for a cut-off one.</summary>
internal ref struct ImageMessageReader(ReadOnlySpan<byte> rest)
{
    private ReadOnlySpan<byte> _rest = rest;

    public bool Next(out ReadOnlySpan<byte> message)
    {
        message = default;
        if (_rest.IsEmpty)
        {
            return false;
        }
        if (_rest.Length < 4)
        {
            throw new FormatException("it ends inside a message length");
        }
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(_rest);
        if (length > _rest.Length - 4)
        {
            throw new FormatException("it ends inside a message");
        }
        message = _rest.Slice(4, (int)length);
        _rest = _rest[(4 + (int)length)..];
        return true;
    }
}

/// <summary>Every field of one protobuf message, in order, with its bytes as written (for copying) and, when length-delimited, its contents.</summary>
internal ref struct ProtobufRawFields(ReadOnlySpan<byte> message)
{
    private ReadOnlySpan<byte> _rest = message;

    public bool Next(out int field, out int wire, out ReadOnlySpan<byte> raw, out ReadOnlySpan<byte> payload)
    {
        ReadOnlySpan<byte> before = _rest;
        var reader = new ProtobufFieldReader(_rest);
        bool any = reader.Step(out field, out wire, out _, out payload);
        _rest = reader.Rest;
        raw = before[..(before.Length - _rest.Length)];
        return any;
    }
}

/// <summary>The integer (varint) fields of one protobuf message, in order, or its embedded messages of one number; other fields are skipped.</summary>
internal ref struct ProtobufFieldReader(ReadOnlySpan<byte> message)
{
    private ReadOnlySpan<byte> _rest = message;

    public bool Next(out int field, out ulong value)
    {
        while (Step(out field, out int wire, out value, out _))
        {
            if (wire == 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The next length-delimited field numbered <paramref name="wanted"/> (an embedded message), skipping the others.</summary>
    public bool NextEmbedded(int wanted, out ReadOnlySpan<byte> embedded)
    {
        while (Step(out int field, out int wire, out _, out embedded))
        {
            if (wire == 2 && field == wanted)
            {
                return true;
            }
        }
        embedded = default;
        return false;
    }

    /// <summary>What is left to read.</summary>
    public readonly ReadOnlySpan<byte> Rest => _rest;

    public bool Step(out int field, out int wire, out ulong value, out ReadOnlySpan<byte> bytes)
    {
        value = 0;
        bytes = default;
        if (_rest.IsEmpty)
        {
            field = 0;
            wire = 0;
            return false;
        }
        ulong key = ReadVarint();
        field = (int)(key >> 3);
        wire = (int)(key & 7);
        switch (wire)
        {
            case 0:
                value = ReadVarint();
                break;
            case 1:
                Skip(8);
                break;
            case 2:
                ulong declared = ReadVarint();
                int length = declared <= int.MaxValue ? (int)declared : throw new FormatException($"field {field} says it is {declared} bytes long");
                bytes = _rest[..Math.Min(length, _rest.Length)];
                Skip(length);
                break;
            case 5:
                Skip(4);
                break;
            default:
                throw new FormatException($"field {field} has wire type {wire}");
        }
        return true;
    }

    private void Skip(int count)
    {
        if (count > _rest.Length)
        {
            throw new FormatException("a field runs past its message");
        }
        _rest = _rest[count..];
    }

    private ulong ReadVarint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_rest.IsEmpty)
            {
                throw new FormatException("a number runs past its message");
            }
            byte b = _rest[0];
            _rest = _rest[1..];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw new FormatException("a number is longer than 64 bits");
    }
}
