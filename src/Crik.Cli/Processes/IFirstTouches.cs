namespace Crik.Cli.Processes;

/// <summary>What an app restored from a checkpoint touched first, as far as crik knows now.</summary>
internal interface IFirstTouches
{
    /// <summary>The memory it touched first after its last lazy restore, for the next checkpoint to keep; null when unknown.</summary>
    IReadOnlyList<TouchedRange>? FirstTouched();
}
