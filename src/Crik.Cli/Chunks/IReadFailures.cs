namespace Crik.Cli.Chunks;

/// <summary>Who watches a <see cref="ChunkReadAhead"/>'s reads fail (<see cref="ChunkReadAhead.Watch"/>).</summary>
internal interface IReadFailures
{
    /// <summary>A read failed (or was let go of while under way): told on the thread that did it, before it takes another.</summary>
    void Failed(Task<byte[]> read);
}
