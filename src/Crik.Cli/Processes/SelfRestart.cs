using System.Globalization;
using Crik.Cli.Interop;
using Crik.Cli.Logging;
using Crik.Cli.Timing;

namespace Crik.Cli.Processes;

/// <summary>
/// crik starts its own program again, as the same PID 1, when its own threads hold IDs a checkpoint needs: only a new
/// program's threads can leave them (the PID counter is past them by then, so the new threads take IDs above). Once
/// per container start: the restarted crik knows it was (CRIK_RESTARTED_FOR_IDS). Signals that reached crik before the
/// exec are handed to the new program (CRIK_CARRIED_SIGNALS); one received after they were taken is sent on to the thread
/// that calls execve, which blocks it: it waits there, pending, for the new program.
/// </summary>
internal static class SelfRestart
{
    private const string RestartedVariable = "CRIK_RESTARTED_FOR_IDS", CarriedVariable = "CRIK_CARRIED_SIGNALS";

    /// <summary>This crik is the program started again (read once; the app never sees either variable).</summary>
    public static bool Restarted { get; }

    /// <summary>
    /// Takes the restart's variable out of crik's environment, where CRIU and an app started fresh would inherit it, at the
    /// first use of this class (<see cref="Carried"/>, at crik's start): without a static constructor of its own, a property's
    /// initializer runs only once a field is read, which <see cref="Restarted"/> may never be.
    /// </summary>
    static SelfRestart() => Restarted = Take(RestartedVariable) is not null;

    /// <summary>Why crik is to start again once its command line has returned; null when it is not.</summary>
    public static string? Requested { get; private set; }

    public static void Request(string why) => Requested = why;

    /// <summary>The signals the crik before this one had received and not handled.</summary>
    public static IEnumerable<Signal> Carried() =>
        (Take(CarriedVariable) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(n => int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out int s) ? (Signal)s : 0).Where(s => s != 0);

    /// <summary>Starts crik's program again; returns only when that failed, with <paramref name="failedExitCode"/>.</summary>
    /// <param name="forwarded">The signals crik catches: blocked here through the exec, so that one sent meanwhile waits for the new program.</param>
    /// <param name="signals">The signals received and not handled yet, taken once every forwarded signal is blocked here.</param>
    public static int Exec(IReadOnlyList<Signal> forwarded, ISignalHandOver signals, int failedExitCode)
    {
        bool blocked = Posix.TryBlockOnThisThread(forwarded);
        // Only a thread that blocks them can hold the signals through the exec; sent to one that does not, each would come back.
        IReadOnlyList<Signal> received = signals.HandOver(blocked ? Posix.OwnThreadId() : 0);
        List<string> environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => $"{e.Key}={e.Value}").ToList();
        environment.Add($"{RestartedVariable}=1");
        environment.Add($"{CarriedVariable}={string.Join(',', received.Select(s => ((int)s).ToString(CultureInfo.InvariantCulture)))}");
        TestDelay.BeforeSelfExec();
        Errno failed = SelfExec.Run(environment);
        signals.TakeBack();
        _ = Posix.TryUnblockOnThisThread(forwarded);
        StandardStreams.Error.WriteLine($"crik: error: could not start crik again to free the IDs a checkpoint needs: execve failed ({failed.Message()}); "
            + "the checkpoint stays, and the next pod restores it");
        return failedExitCode;
    }

    private static string? Take(string variable)
    {
        string? value = Environment.GetEnvironmentVariable(variable);
        Environment.SetEnvironmentVariable(variable, null);
        return value;
    }
}
