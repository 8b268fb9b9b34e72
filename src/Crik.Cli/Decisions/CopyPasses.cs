namespace Crik.Cli.Decisions;

/// <summary>
/// Whether the copy before a checkpoint's dump, made while the app runs, takes another pass over what the app wrote during the
/// last one. The dump reads, with the app stopped, every page written after the last pass scanned it: the longer a pass, the
/// more of them. A pass shorter than <see cref="WorthAnother"/> leaves about as many as the way from the copy to the freeze
/// does anyway (CRIU's start, crik's laying over), and another would not leave fewer.
/// </summary>
internal static class CopyPasses
{
    public const int Most = 3;

    public static readonly TimeSpan WorthAnother = TimeSpan.FromMilliseconds(100);

    /// <param name="done">The passes made so far, the first included.</param>
    /// <param name="lastTook">How long the last of them took, its scan to its last read.</param>
    /// <param name="enough">The copy must make way: a SIGTERM waits, or the budget for it is spent.</param>
    public static bool Another(int done, TimeSpan lastTook, bool enough) => !enough && done < Most && lastTook >= WorthAnother;
}
