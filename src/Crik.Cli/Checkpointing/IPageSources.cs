namespace Crik.Cli.Checkpointing;

/// <summary>Where <see cref="PagesComposer"/> reads the pieces of chunks a run cuts: the dump's and the restored checkpoint's.</summary>
internal interface IPageSources
{
    /// <summary>Fills <paramref name="into"/> with the stopped process's memory at <paramref name="address"/>, as the dump saw it.</summary>
    void ReadMemory(ulong address, Span<byte> into);

    /// <summary>Reads one whole chunk of the restored checkpoint's pages image, by its index, from the store.</summary>
    byte[] ReadRestoredChunk(int index);
}
