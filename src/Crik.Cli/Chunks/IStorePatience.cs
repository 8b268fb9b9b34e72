namespace Crik.Cli.Chunks;

/// <summary>
/// How long a <see cref="ChunkReader"/> waits for a store that stopped answering: reads that fail in a way the store
/// may take back (<see cref="ReadFailure.Transient"/>) are tried again while it says so.
/// </summary>
internal interface IStorePatience
{
    /// <summary>How long the store has not answered; null while it answers.</summary>
    TimeSpan? Lasted { get; }

    /// <summary>A read failed in a way the store may take back; false when it is not to be tried again.</summary>
    bool Failed(string why);

    /// <summary>Why a read is given up, once <see cref="Failed"/> said false.</summary>
    string GiveUp();

    /// <summary>A read sent at <paramref name="sentAt"/> succeeded; true when that ends an outage (reads pausing before another attempt go at once).</summary>
    bool Answered(long sentAt);
}
