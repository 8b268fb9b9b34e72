
namespace Crik.Cli.Records;

/// <summary>One generation found in an image directory, for <c>crik images</c>.</summary>
/// <param name="State">"committed" (restorable), "retired" (its app ended on its own) or "set aside" (and why).</param>
/// <param name="Problem">Why its manifest (or, when verified, an image) is unusable; null when it is fine.</param>
internal sealed record ListedGeneration(string Name, long Generation, string State, Manifest? Manifest, string? Problem)
{
    /// <summary>How often a committed generation was restored.</summary>
    public int Restores { get; init; }
}
