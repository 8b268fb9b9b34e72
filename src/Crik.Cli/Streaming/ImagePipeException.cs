namespace Crik.Cli.Streaming;

/// <summary>
/// crik could not write an image into CRIU's pipe for a reason other than CRIU having stopped reading (EPIPE): crik's own
/// failure, which says nothing of the checkpoint (<see cref="Chunks.ReadFailures.Classify"/>: not an IOException).
/// </summary>
internal sealed class ImagePipeException(IOException inner) : Exception(inner.Message, inner);
