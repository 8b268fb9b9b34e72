using System.Buffers.Binary;
using System.Text;

namespace Crik.Cli.Criu;

/// <summary>
/// The paths of the regular files a CRIU files image (<c>files.img</c>) lists, by file id: each file_entry
/// with type REG (1) has its id (field 2) and a reg_file_entry (field 3) whose name (field 6) is the path
/// in the dumped processes' mount namespace. A mapping of a file names it by this id (vma_entry's shmid).
/// </summary>
internal static class RegularFilesImage
{
    public const string Name = "files.img";

    private const uint FilesMagic = 0x56303138;
    private const int TypeField = 1, IdField = 2, RegularField = 3, NameField = 6;
    private const ulong RegularType = 1;

    public static Dictionary<uint, string> Parse(ReadOnlySpan<byte> image)
    {
        if (image.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(image) != ImageWire.CommonMagic
            || BinaryPrimitives.ReadUInt32LittleEndian(image[4..]) != FilesMagic)
        {
            throw new FormatException("it does not start as a CRIU files image");
        }
        var paths = new Dictionary<uint, string>();
        var entries = new ImageMessageReader(image[8..]);
        while (entries.Next(out ReadOnlySpan<byte> entry))
        {
            ulong type = 0;
            uint id = 0;
            string? path = null;
            var fields = new ProtobufFieldReader(entry);
            while (fields.Step(out int field, out int wire, out ulong value, out ReadOnlySpan<byte> bytes))
            {
                switch ((field, wire))
                {
                    case (TypeField, 0): type = value; break;
                    case (IdField, 0): id = unchecked((uint)value); break;
                    case (RegularField, 2): path = PathOf(bytes); break;
                }
            }
            if (type == RegularType && path is not null)
            {
                paths[id] = path;
            }
        }
        return paths;
    }

    private static string? PathOf(ReadOnlySpan<byte> regularFile)
    {
        var fields = new ProtobufFieldReader(regularFile);
        while (fields.Step(out int field, out int wire, out _, out ReadOnlySpan<byte> bytes))
        {
            if (field == NameField && wire == 2)
            {
                return Encoding.UTF8.GetString(bytes);
            }
        }
        return null;
    }
}
