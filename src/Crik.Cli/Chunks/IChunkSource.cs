namespace Crik.Cli.Chunks;

/// <summary>Where the read-ahead engine (<see cref="ChunkReadAhead"/>) reads each chunk from, and gives its buffer back to.</summary>
internal interface IChunkSource
{
    /// <summary>Reads chunk <paramref name="index"/> of <paramref name="image"/> into a buffer of its own, once per attempt; gives the buffer back itself when it throws.</summary>
    byte[] Read(int image, int index);

    /// <summary>Takes back a buffer <see cref="Read"/> gave, once nobody uses it (clearing it when it holds the app's memory).</summary>
    void GiveBack(byte[] buffer);
}
