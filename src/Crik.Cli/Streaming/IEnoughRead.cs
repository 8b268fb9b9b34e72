namespace Crik.Cli.Streaming;

/// <summary>Asked by a long read (<see cref="PiecesStream"/>) before each step: whether to end it there.</summary>
internal interface IEnoughRead
{
    bool Enough { get; }
}
