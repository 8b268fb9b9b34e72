using Crik.Cli.Records;

namespace Crik.Cli.Decisions;

/// <summary>What becomes of a committed generation when a pod looks for one to restore.</summary>
internal abstract record GenerationVerdict
{
    /// <summary>It is restored.</summary>
    public sealed record Restore : GenerationVerdict;

    /// <summary>It can never be restored here or anywhere: it is moved to set-aside/ with the reason beside it.</summary>
    /// <param name="CrashLoop">The crash-loop guard gave up on it (<see cref="CrashLoopGuard"/>).</param>
    public sealed record SetAside(string Reason, bool CrashLoop = false) : GenerationVerdict;

    /// <summary>It is whole, but not for this crik (another key): it stays where it is, and an older one is tried.</summary>
    public sealed record Keep(string Reason) : GenerationVerdict;

    /// <summary>What a staging area a crik left mid-dump is set aside as: it was never committed.</summary>
    public const string Unfinished = "an unfinished checkpoint (crik stopped during a dump)";

    /// <summary>
    /// The verdict on the newest committed generation left to try, from what reading it found.
    /// </summary>
    /// <param name="problem">Why it cannot be restored as read (unreadable, corrupt, untrusted, another key's), or null.</param>
    /// <param name="problemKeepsIt">The problem is one of this crik, not of the generation (a key crik does not hold).</param>
    /// <param name="otherApp">Why it is of another app than the one this container runs, or null.</param>
    /// <param name="restores">Its restores so far, oldest first.</param>
    public static GenerationVerdict Of(string? problem, bool problemKeepsIt, string? otherApp, IReadOnlyList<RestoreRecord> restores, int restoreAttempts)
    {
        if (problem is not null)
        {
            return problemKeepsIt ? new Keep(problem) : new SetAside(problem);
        }
        if (otherApp is not null)
        {
            return new SetAside(otherApp);
        }
        return CrashLoopGuard.GivesUp(restores, restoreAttempts) is { } givenUp ? new SetAside(givenUp, CrashLoop: true) : new Restore();
    }
}
