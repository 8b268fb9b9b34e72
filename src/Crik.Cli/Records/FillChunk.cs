namespace Crik.Cli.Records;

/// <summary>
/// A piece of a pages image a restore's first fill may choose (the image's number and the piece's index there), the chunk
/// of the packs it is a slice of, and that chunk's bytes: reading a piece reads its whole chunk, and with it every other
/// piece of it.
/// </summary>
internal readonly record struct FillChunk((int PagesId, int Index) Chunk, (long Pack, long Offset) Whole, long WholeBytes);
