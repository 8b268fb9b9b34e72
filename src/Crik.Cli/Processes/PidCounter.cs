using System.Globalization;
using Crik.Cli.Interop;
using Serilog;

namespace Crik.Cli.Processes;

/// <summary>
/// The PID namespace's counter (ns_last_pid): every process and thread made without a chosen ID takes the
/// next free one after it. A restore gives the app its old IDs with clone3(set_tid), which leaves the counter
/// where it was; so crik moves it past the app's IDs itself.
/// </summary>
internal static class PidCounter
{
    /// <summary>
    /// Where PIDs start for a fresh app: a restored app needs its old PIDs, and crik's own processes and threads in a new
    /// container take low ones.
    /// </summary>
    public const int FirstAppPid = 9000;

    private const string LastPidFile = "/proc/sys/kernel/ns_last_pid", PidMaxFile = "/proc/sys/kernel/pid_max";

    /// <summary>The most pid_max can be (PID_MAX_LIMIT on 64-bit kernels), the default of systemd's machines.</summary>
    public const int MaxLimit = 4 << 20;

    private const int ReadOnlyFileSystem = 30;

    /// <summary>
    /// Raises pid_max (this PID namespace's since Linux 6.14; the node's before) to <see cref="MaxLimit"/>, so that IDs up to
    /// <paramref name="highest"/> can be given back and the app's later ones have room above them. Null once pid_max, read
    /// back, is above <paramref name="highest"/>; else why not (/proc/sys read-only, crik not allowed to write it).
    /// </summary>
    public static string? TryRaiseMax(int highest, ILogger log)
    {
        int was = Max();
        try
        {
            File.WriteAllText(PidMaxFile, MaxLimit.ToString(CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Debug("Cannot write {File} ({Error})", PidMaxFile, e.Message);
            return (e as IOException)?.HResult == ReadOnlyFileSystem ? "/proc/sys is read-only here"
                : $"crik may not write {PidMaxFile} here ({e.Message})";
        }
        int now = Max();
        if (now <= highest)
        {
            return $"{PidMaxFile} reads {now} after crik wrote {MaxLimit} to it";
        }
        bool perNamespace = KernelRelease.ThisIsAtLeast(6, 14);
        log.Information("Raised pid_max{Whose} from {Was} to {Now}: the checkpoint's processes and threads had IDs up to {Highest}, taken where pid_max was higher",
            perNamespace ? "" : " of the whole node (before Linux 6.14 there is one for the node)", was, now, highest);
        return null;
    }

    /// <summary>One more than the highest ID the kernel gives (pid_max); 4194304, the most it can be, when it cannot be read.</summary>
    public static int Max() =>
        int.TryParse(ProcFiles.Text(PidMaxFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int max) && max > 1 ? max : MaxLimit;

    /// <summary>
    /// Makes the next ID made in this PID namespace greater than <paramref name="last"/>: by writing ns_last_pid where
    /// the container lets crik (a privileged pod), else by using up the IDs up to it with threads that end at once (a
    /// read-only /proc/sys: about a third of a second for 9000 IDs). The counter never moves back. False, with the
    /// reason logged, when it could not be moved all the way.
    /// </summary>
    /// <param name="why">For the log: what the IDs up to <paramref name="last"/> are kept for.</param>
    public static bool MovePast(int last, string why, ILogger log)
    {
        int current;
        try
        {
            current = int.Parse(File.ReadAllText(LastPidFile).Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            log.Warning("Cannot read {File} ({Error}); IDs crik and the app take from here on may meet {Why}", LastPidFile, e.Message, why);
            return false;
        }
        if (current >= last)
        {
            return true;
        }
        if (last >= Max())
        {
            log.Warning("Cannot move the next PID past {Last}, above pid_max ({Max}); IDs crik and the app take from here on may meet {Why}", last, Max(), why);
            return false;
        }
        try
        {
            File.WriteAllText(LastPidFile, last.ToString(CultureInfo.InvariantCulture));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Debug("Cannot write {File} ({Error}); using up the PIDs up to {Last} instead", LastPidFile, e.Message, last);
        }
        return UseUpTo(current, last, why, log);
    }

    private static bool UseUpTo(int current, int last, string why, ILogger log)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int reached = current;
        while (reached < last)
        {
            int id = ThreadIds.UseOne();
            if (id < 0 || id < reached)
            {
                // No thread could be made, or the IDs wrapped around pid_max.
                log.Warning("Could only move the next PID to {Pid} of {Wanted}; IDs crik and the app take from here on may meet {Why}", reached + 1, last + 1, why);
                return false;
            }
            reached = id;
        }
        // Said at the information level: a container whose /proc/sys is read-only pays this at a fresh start and before a restore.
        log.Information("Used up PIDs {From}-{To} in {Seconds:0.00} s ({File} is read-only here): {Why}", current + 1, reached, clock.Elapsed.TotalSeconds,
            LastPidFile, why);
        return true;
    }
}
