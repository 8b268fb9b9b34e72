namespace Crik.Cli.Decisions;

/// <summary>The number of a new generation.</summary>
internal static class NextGeneration
{
    /// <summary>
    /// One more than any generation the store has seen (<paramref name="newest"/>: committed, staged,
    /// retired, set aside or packed) and than every finished mark (<paramref name="finishedThrough"/>):
    /// a new generation must never reuse a number, nor be one a mark says is retired.
    /// </summary>
    public static long After(long newest, long finishedThrough) => Math.Max(newest, finishedThrough) + 1;
}
