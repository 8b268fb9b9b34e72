using System.Globalization;
using System.Text;
using Crik.Cli.Interop;

namespace Crik.Cli.Criu;

/// <summary>
/// The CRIU action script that gives back what --leave-stopped takes: CRIU stops every restored process with
/// SIGSTOP, also one a SIGTSTP stopped at the checkpoint, whose parent's waitpid would then report SIGSTOP. CRIU
/// runs the script at each stage of a restore; at pre-resume its SIGSTOPs are queued and the processes are still
/// held under ptrace. There a SIGCONT drops the queued SIGSTOP without waking a process, and the original signal
/// is queued in its place: once CRIU lets go, the process stops by it before it runs an instruction, and its parent
/// hears of that one stop, as after CRIU's own restore of a stopped process.
/// </summary>
internal static class StopSignalsScript
{
    /// <summary>The script's name in CRIU's work directory.</summary>
    public const string FileName = "crik-stop-signals.sh";

    /// <summary>The interpreter the script needs in the container.</summary>
    public const string Shell = "/bin/sh";

    /// <summary>The processes stopped at the checkpoint by another signal than SIGSTOP, with that signal, by PID.</summary>
    public static List<(int Pid, Signal Signal)> Restops(IReadOnlyDictionary<int, TaskState> processes) =>
        [.. processes.Where(p => p.Value.Stopped && p.Value.StoppedBy != Signal.SIGSTOP).Select(p => (p.Key, p.Value.StoppedBy)).OrderBy(p => p.Key)];

    /// <summary>The script: at pre-resume, for each process, SIGCONT and then its own stop signal; at every other stage, nothing.</summary>
    public static string Text(IEnumerable<(int Pid, Signal Signal)> restops)
    {
        var text = new StringBuilder($"#!{Shell}\n# crik: stops each process again by the signal that stopped it at the checkpoint (criu restore --leave-stopped queued a SIGSTOP)\n");
        text.Append("[ \"$CRTOOLS_SCRIPT_ACTION\" = pre-resume ] || exit 0\nstatus=0\n");
        foreach ((int pid, Signal signal) in restops)
        {
            string number = pid.ToString(CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture, $"kill -s CONT {number} && kill -s {signal.ToString()[3..]} {number} || status=1\n");
        }
        return text.Append("exit $status\n").ToString();
    }

    /// <summary>Writes the script into CRIU's work directory as a new file only crik's user may read, write and run; returns its path.</summary>
    public static string Write(CriuWorkDir work, string text)
    {
        string path = $"{work.Path}/{FileName}";
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
        };
        // Closed before CRIU runs it: a file still open for writing cannot be executed (ETXTBSY).
        using (var file = new FileStream(path, options))
        {
            file.Write(Encoding.ASCII.GetBytes(text));
        }
        return path;
    }
}
