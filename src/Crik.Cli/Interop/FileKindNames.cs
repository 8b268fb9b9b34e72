namespace Crik.Cli.Interop;

/// <summary>A file kind in words, for messages: "a FIFO (named pipe)".</summary>
internal static class FileKindNames
{
    public static string Described(this FileKind kind) => kind switch
    {
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a directory",
        FileKind.Fifo => "a FIFO (named pipe)",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Socket => "a socket",
        FileKind.SymbolicLink => "a symbolic link",
        _ => "of an unknown kind",
    };
}
