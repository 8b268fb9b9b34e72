namespace Crik.Cli.Tests.Criu;

/// <summary>Protobuf bytes written by hand, for images a test builds the way CRIU writes them.</summary>
internal static class Protobuf
{
    /// <summary>A message of integer fields.</summary>
    public static byte[] Message(params (int Field, ulong Value)[] fields) => [.. fields.SelectMany(f => Varint((ulong)f.Field << 3).Concat(Varint(f.Value)))];

    /// <summary>An embedded message as a length-delimited field.</summary>
    public static byte[] Embedded(int field, byte[] message) => [.. Varint(((ulong)field << 3) | 2), .. Varint((ulong)message.Length), .. message];

    /// <summary>A CRIU image: its magic numbers, then each message after its 32-bit length.</summary>
    public static byte[] Image(uint magic, params byte[][] messages)
    {
        using var image = new MemoryStream();
        Crik.Cli.Criu.ImageWire.WriteMagic(image, magic);
        foreach (byte[] message in messages)
        {
            image.Write(BitConverter.GetBytes(message.Length));
            image.Write(message);
        }
        return image.ToArray();
    }

    public static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        for (; value >= 0x80; value >>= 7)
        {
            bytes.Add((byte)(value | 0x80));
        }
        bytes.Add((byte)value);
        return [.. bytes];
    }
}
