using Crik.Cli.Chunks;
using Crik.Cli.Interop;

namespace Crik.Cli.LazyPages;

/// <summary>
/// What the fill's two threads share (the events thread, <see cref="FaultServer"/>, and the background fill,
/// <see cref="BackgroundFill"/>): the processes and what they miss, where an arrived chunk goes, the chunks' reads,
/// the events thread's poll (which either wakes), and whether the fill failed.
/// </summary>
internal sealed record FillParts(AddressSpaces Spaces, ChunkPlacer Placer, ChunkReadAhead Reads, ReadinessPoll Poll, FillFailure Failure);
