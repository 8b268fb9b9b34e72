namespace Crik.Cli.Chunks;

/// <summary>Who hears of each read a <see cref="ChunkReader"/>'s threads end.</summary>
internal interface IReadEnds
{
    /// <summary>A read a thread took ended (done, failed, or let go of meanwhile): told on that thread, before it takes another.</summary>
    void Ended(ChunkRead read);
}
