namespace Crik.Cli.Criu;

/// <summary>A private mapping of a file at dump time: the file (its id in files.img), where in it, how long, and whether it holds code.</summary>
internal readonly record struct FileMapping(uint FileId, long Offset, long Length, bool Executable);

/// <summary>A part of a file a restored process maps privately, by its path.</summary>
internal readonly record struct MappedFileRange(string Path, long Offset, long Length, bool Executable);

/// <summary>
/// The private file mappings a CRIU mm image lists (vma_entry with VMA_FILE_PRIVATE in its status: the
/// executable, its libraries and whatever else the process mapped privately from a file): start = 1,
/// end = 2, pgoff = 3 (bytes into the file), shmid = 4 (the file's id), prot = 5, status = 7.
/// </summary>
internal static class FileMappings
{
    private const int VmasField = 14, StartField = 1, EndField = 2, OffsetField = 3, FileIdField = 4, ProtectionField = 5, StatusField = 7;
    private const uint FilePrivate = 1 << 6, Executable = 4; // CRIU's VMA_FILE_PRIVATE, PROT_EXEC

    public static List<FileMapping> Private(ReadOnlySpan<byte> mmImage)
    {
        MemoryAreasImage.ParseImage(mmImage); // throws FormatException for what is not an mm image
        var messages = new ImageMessageReader(mmImage[8..]);
        messages.Next(out ReadOnlySpan<byte> mm);
        var mappings = new List<FileMapping>();
        var fields = new ProtobufFieldReader(mm);
        while (fields.NextEmbedded(VmasField, out ReadOnlySpan<byte> vma))
        {
            ulong start = 0, end = 0, offset = 0, fileId = 0, protection = 0, status = 0;
            var vmaFields = new ProtobufFieldReader(vma);
            while (vmaFields.Next(out int field, out ulong value))
            {
                switch (field)
                {
                    case StartField: start = value; break;
                    case EndField: end = value; break;
                    case OffsetField: offset = value; break;
                    case FileIdField: fileId = value; break;
                    case ProtectionField: protection = value; break;
                    case StatusField: status = value; break;
                }
            }
            if ((status & FilePrivate) != 0 && end > start && end - start <= long.MaxValue && offset <= long.MaxValue)
            {
                mappings.Add(new FileMapping(unchecked((uint)fileId), (long)offset, (long)(end - start), (protection & Executable) != 0));
            }
        }
        return mappings;
    }
}
