using Crik.Cli.Records;

namespace Crik.Cli.Decisions;

/// <summary>
/// The state of a lease from what its holder saw of it: whether the store answered that it is another's, whether it was
/// released, and how long ago the renewal it wrote last started, by its own clock.
/// </summary>
/// <remarks>
/// Another crik takes a lease over once it has seen one version for a whole lifetime by its own clock. The holder freezes
/// the app at three fifths of it (two renewals failed), stops writing at four fifths (the fifth left covers clocks that
/// run at different speeds, a write in flight and scheduling), and gives it up once in doubt for the doubt limit.
/// </remarks>
internal static class LeaseHold
{
    public static HoldState Of(LeaseSeen seen)
    {
        if (seen.AnsweredLost)
        {
            return HoldState.Lost;
        }
        if (seen.Released)
        {
            return HoldState.Held; // nothing is written under it any more: it never times out
        }
        if (seen.Unrenewed >= seen.DoubtLimit)
        {
            return HoldState.Lost;
        }
        if (seen.Unrenewed >= SafeLifetime(seen.Lifetime))
        {
            return HoldState.Fenced;
        }
        return seen.Unrenewed >= seen.Lifetime * 3 / 5 ? HoldState.Endangered : HoldState.Held;
    }

    /// <summary>How long until the state changes by time alone (no answer from the store); null when it never does.</summary>
    public static TimeSpan? UntilChange(LeaseSeen seen)
    {
        if (Of(seen) is HoldState.Lost || seen.Released)
        {
            return null;
        }
        TimeSpan next = new[] { seen.Lifetime * 3 / 5, SafeLifetime(seen.Lifetime), seen.DoubtLimit }.Where(t => t > seen.Unrenewed).Min();
        return next - seen.Unrenewed;
    }

    /// <summary>Unrenewed this long, a write under the lease may land after another crik took it over.</summary>
    public static TimeSpan SafeLifetime(TimeSpan lifetime) => lifetime * 4 / 5;

    /// <summary>Whether a write may go to the store under the lock.</summary>
    public static bool AllowsWrites(HoldState state) => state is HoldState.Held or HoldState.Endangered;

    /// <summary>Whether the app must stay frozen: the lock is in doubt, neither surely ours nor surely lost.</summary>
    public static bool FreezesTheApp(HoldState state) => state is HoldState.Endangered or HoldState.Fenced;
}

/// <summary>What a lease's holder saw of it: an answer that it is another's (or gone), its release, and how long it went unrenewed.</summary>
/// <param name="DoubtLimit">How long it may go unrenewed before its holder gives it up; never less than four fifths of the lifetime.</param>
internal readonly record struct LeaseSeen(bool AnsweredLost, bool Released, TimeSpan Unrenewed, TimeSpan Lifetime, TimeSpan DoubtLimit);
