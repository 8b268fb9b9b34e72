namespace Crik.Cli.Chunks;

/// <summary>Where a <see cref="PackReader"/> opens the packs it reads chunks from.</summary>
internal interface IPackOpener
{
    /// <summary>Pack <paramref name="pack"/>, held open by the reader until it is disposed; null when it is missing.</summary>
    IPackSource? Open(long pack);
}
