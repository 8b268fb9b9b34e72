namespace Crik.Cli.Decisions;

/// <summary>
/// Where crik moves the PID namespace's counter before a restore: past the IDs the app needs, so that nothing crik or CRIU makes
/// meanwhile takes one, and what the restored app makes later gets IDs the next pod's crik does not hold. Close below pid_max the
/// counter soon wraps around to 300, the kernel's first ID after a wrap, where a checkpoint taken after its own wrap has IDs too:
/// then the counter goes to the start of the longest run of IDs the app does not need.
/// </summary>
internal static class PidCounterPlacement
{
    /// <summary>The first ID the kernel gives once the counter has wrapped around pid_max (RESERVED_PIDS).</summary>
    public const int FirstAfterWrap = 300;

    /// <summary>Enough free IDs above the app's highest that what crik and the app make next need not wrap.</summary>
    public const int Headroom = 1 << 16;

    /// <summary>
    /// The ID to move the counter to: the next ID made is the first free one after it. Above the app's highest and
    /// <paramref name="firstAppPid"/> where <see cref="Headroom"/> IDs are left below <paramref name="pidMax"/>; else at the start
    /// of the longest run of IDs from 300 to pid_max that the app does not need, the run past its highest wrapping around to its
    /// lowest (at <paramref name="firstAppPid"/> where that is inside the run, with most of the run after it).
    /// </summary>
    public static int Last(IReadOnlyCollection<int> ids, int firstAppPid, int pidMax)
    {
        int last = Math.Max(firstAppPid - 1, ids.Count == 0 ? 0 : ids.Max());
        if (pidMax - 1 - last >= Headroom)
        {
            return last;
        }
        List<int> needed = ids.Where(id => id >= FirstAfterWrap && id < pidMax).Distinct().Order().ToList();
        int bestStart = last;
        long bestLength = (long)pidMax - 1 - last + (needed.Count > 0 ? needed[0] - FirstAfterWrap : 0);
        int bestEnd = needed.Count > 0 ? needed[0] : pidMax;
        for (int i = 1; i < needed.Count; i++)
        {
            int length = needed[i] - needed[i - 1] - 1;
            if (length > bestLength)
            {
                (bestStart, bestLength, bestEnd) = (needed[i - 1], length, needed[i]);
            }
        }
        // Inside the run, with most of it after: the app's later IDs start above firstAppPid, as after any other restore.
        bool firstAppPidFits = bestStart < firstAppPid - 1 && firstAppPid - 1 - bestStart <= (long)bestEnd - firstAppPid;
        return firstAppPidFits ? firstAppPid - 1 : bestStart;
    }
}
