namespace Crik.Cli.LazyPages;

/// <summary>Just enough of the protobuf wire format to read CRIU's pagemap entries: their integer fields.</summary>
internal static class Protobuf
{
    /// <summary>The varint fields of one message (numbers up to 15); other wire types are skipped.</summary>
    public static VarintFields Varints(ReadOnlySpan<byte> message)
    {
        var fields = new VarintFields();
        int at = 0;
        while (at < message.Length)
        {
            ulong key = Varint(message, ref at);
            int number = (int)(key >> 3);
            switch (key & 7)
            {
                case 0:
                    ulong value = Varint(message, ref at);
                    if (number is > 0 and < VarintFields.Count)
                    {
                        fields.Set(number, value);
                    }
                    break;
                case 1:
                    at += 8;
                    break;
                case 2:
                    at += checked((int)Varint(message, ref at));
                    break;
                case 5:
                    at += 4;
                    break;
                default:
                    throw new InvalidDataException($"unknown protobuf wire type {key & 7}");
            }
            if (at > message.Length)
            {
                throw new InvalidDataException("truncated protobuf field");
            }
        }
        return fields;
    }

    private static ulong Varint(ReadOnlySpan<byte> message, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (at >= message.Length)
            {
                throw new InvalidDataException("truncated varint");
            }
            byte b = message[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw new InvalidDataException("varint longer than 64 bits");
    }
}

/// <summary>Integer fields 1-15 of a protobuf message, with whether each was present.</summary>
internal struct VarintFields
{
    public const int Count = 16;

    private ulong[]? _values;
    private int _present;

    public readonly ulong Get(int number) => _values?[number] ?? 0;

    public readonly bool Has(int number) => (_present & (1 << number)) != 0;

    public void Set(int number, ulong value)
    {
        _values ??= new ulong[Count];
        _values[number] = value;
        _present |= 1 << number;
    }
}
