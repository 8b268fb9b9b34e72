using System.Diagnostics;
using Xunit;

namespace Crik.TestSupport;

/// <summary>
/// One run of the real crik binary: as PID 1 in a fresh PID namespace (how a container looks to its
/// entrypoint) or as an ordinary process. Captures stdout and stderr line by line.
/// </summary>
public sealed class CrikRun : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>What crik logs for a task of its own whose failure nobody looked at (Supervision/LastResort); a run that logs it fails its test.</summary>
    public const string UnobservedTaskLine = "A task of crik's failed and nobody looked at it";

    private readonly Process _process;
    private readonly int _launchersAboveCrik;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly object _gate = new();
    private int _crikPid;

    /// <summary>
    /// What only Debug builds act on, compiled out of the shipped binary: the fault seam, the pause
    /// before each chunk the background fill copies in, and the pause between a checkpoint's glance at the
    /// arriving memory and its dump.
    /// </summary>
    public static readonly IReadOnlyList<string> DebugOnlyVariables = ["CRIK_FAULT", "CRIK_TEST_FILL_PACE_MS", "CRIK_TEST_FILL_HOLD_FILE", "CRIK_TEST_AFTER_GLANCE_MS", "CRIK_TEST_REMAP_AS_BEFORE_6_16", "CRIK_TEST_EVENT_DELAY_MS", "CRIK_TEST_PROC_READ_DELAY_MS", "CRIK_TEST_THREAD_START_DELAY_MS", "CRIK_TEST_IN_APP_CALL_MS", "CRIK_TEST_COPY_READ_PAUSE_MS", "CRIK_TEST_COPY_FREEZE_PAUSE_MS", "CRIK_TEST_TELL_SCAN_PAUSE_MS", "CRIK_TEST_COMMIT_PAUSE_MS", "CRIK_TEST_COMMIT_AFTER_FILL_MS", "CRIK_TEST_GATHER_PAUSE_MS", "CRIK_TEST_PAGES_STORE_PAUSE_MS", "CRIK_TEST_MIDFILL_PAUSE_MS", "CRIK_TEST_COPY_HOLD_FILE", "CRIK_TEST_FAILED_FILL_PAUSE_MS", "CRIK_TEST_FILL_KILL_PAUSE_MS", "CRIK_TEST_SELF_EXEC_PAUSE_MS", "CRIK_TEST_CONTROL_TAKE_PAUSE_MS", "CRIK_TEST_LOOP_TURN_HOLD_FILE", "CRIK_TEST_SAVE_HOLD_FILE", "CRIK_TEST_PUT_BACK_HOLD_FILE", "CRIK_TEST_WATCHDOG_STOP_PAUSE_MS", "CRIK_TEST_FAULT_HOLD_FILE"];

    private CrikRun(Process process, int launchersAboveCrik)
    {
        _process = process;
        _launchersAboveCrik = launchersAboveCrik;
    }

    /// <summary>Starts <c>crik ARGS</c>. With <paramref name="asPid1"/>, inside unshare --pid --fork --mount-proc (plus IPC and UTS).</summary>
    /// <param name="insideNamespaces">
    /// A shell command run in the new namespaces just before crik replaces it as PID 1, e.g. a mount
    /// that only this "container" sees (the mount namespace is private).
    /// </param>
    /// <param name="inBackgroundJob">
    /// Starts crik (or unshare) as a shell's background job (<c>cmd &amp;</c>), which a shell without job control
    /// starts with SIGINT and SIGQUIT ignored, as <c>bash -c 'crik run -- app &amp;'</c> or a test runner started so.
    /// </param>
    /// <param name="binary">
    /// The crik to run. By default <see cref="Paths.Crik"/>, or <see cref="Paths.CrikDebug"/> when a variable only the
    /// Debug build acts on is set (<see cref="DebugOnlyVariables"/>); a test that shows the shipped binary ignores
    /// CRIK_FAULT names it here.
    /// </param>
    public static CrikRun Start(IEnumerable<string> crikArgs, bool asPid1 = true, IDictionary<string, string>? environment = null,
        string? shellPrefix = null, string? insideNamespaces = null, string? binary = null, bool inBackgroundJob = false)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var command = new List<string>();
        if (asPid1)
        {
            command.AddRange(["unshare", "--pid", "--fork", "--mount-proc", "--ipc", "--uts", "--kill-child"]);
            if (insideNamespaces is not null)
            {
                command.AddRange(["/bin/sh", "-c", insideNamespaces + " && exec \"$0\" \"$@\""]);
            }
        }
        command.Add(binary ?? (environment?.Keys.Any(DebugOnlyVariables.Contains) == true ? Paths.CrikDebug : Paths.Crik));
        command.AddRange(crikArgs);
        if (shellPrefix is not null || inBackgroundJob)
        {
            // e.g. "exec 7</dev/null;": lets a test hand crik extra descriptors.
            info.FileName = "/bin/sh";
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(shellPrefix + (inBackgroundJob ? " \"$@\" & wait $!" : " exec \"$@\""));
            info.ArgumentList.Add("sh");
        }
        else
        {
            info.FileName = command[0];
            command.RemoveAt(0);
        }
        foreach (string arg in command)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment.Remove("CRIK_CONFIG");
        // Each crik its own control socket, as each container has its own /run.
        info.Environment["CRIK_CONTROL_SOCKET"] = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"crik-control-{Guid.NewGuid():N}", "control.sock");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info };
        var run = new CrikRun(process, (asPid1 ? 1 : 0) + (inBackgroundJob ? 1 : 0)) { ControlSocket = info.Environment["CRIK_CONTROL_SOCKET"]! };
        process.OutputDataReceived += (_, e) => run.Add(run._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => run.Add(run._stderr, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return run;
    }

    /// <summary>Where this crik listens for crik checkpoint (CRIK_CONTROL_SOCKET).</summary>
    public string ControlSocket { get; private init; } = "";

    public IReadOnlyList<string> Stdout { get { lock (_gate) { return _stdout.ToList(); } } }

    public IReadOnlyList<string> Stderr { get { lock (_gate) { return _stderr.ToList(); } } }

    /// <summary>When crik wrote <paramref name="stderrLine"/>, by the timestamp it starts with.</summary>
    public static DateTimeOffset LoggedAt(string stderrLine) =>
        DateTimeOffset.Parse(stderrLine.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    public string Transcript => $"stdout:\n{string.Join('\n', Stdout)}\nstderr:\n{string.Join('\n', Stderr)}";

    /// <summary>crik's PID as seen from the test (the child of unshare when crik is PID 1).</summary>
    public int CrikPid
    {
        get
        {
            if (_crikPid == 0)
            {
                int pid = _process.Id;
                for (int launcher = 0; launcher < _launchersAboveCrik; launcher++)
                {
                    pid = WaitForChildOf(pid);
                }
                _crikPid = pid;
            }
            return _crikPid;
        }
    }

    public void Signal(int signal) => Native.Signal(CrikPid, signal);

    /// <summary>Waits until a stdout line matches and returns it.</summary>
    public string WaitForLine(Func<string, bool> match, TimeSpan? timeout = null, bool stderr = false)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (DateTime.UtcNow < deadline)
        {
            string? line = (stderr ? Stderr : Stdout).FirstOrDefault(match);
            if (line is not null)
            {
                return line;
            }
            if (_process.HasExited)
            {
                _process.WaitForExit(); // without a timeout it also waits for the output to drain
                if ((stderr ? Stderr : Stdout).FirstOrDefault(match) is { } last)
                {
                    return last;
                }
                Assert.Fail($"crik exited ({_process.ExitCode}) before the expected line appeared\n{Transcript}");
            }
            Thread.Sleep(20);
        }
        Assert.Fail($"timed out waiting for a line\n{Transcript}");
        return "";
    }

    public string WaitForLine(string contains, TimeSpan? timeout = null, bool stderr = false) =>
        WaitForLine(l => l.Contains(contains, StringComparison.Ordinal), timeout, stderr);

    /// <summary>Waits for crik (and unshare) to exit and returns the exit code; fails on timeout.</summary>
    public int WaitForExit(TimeSpan? timeout = null)
    {
        if (!_process.WaitForExit(timeout ?? DefaultTimeout))
        {
            Kill();
            Assert.Fail($"crik did not exit in time\n{Transcript}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    private void Add(List<string> lines, string? line)
    {
        if (line is not null)
        {
            lock (_gate)
            {
                lines.Add(line);
            }
        }
    }

    private static int WaitForChildOf(int parent)
    {
        var deadline = DateTime.UtcNow + DefaultTimeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                string children = File.ReadAllText($"/proc/{parent}/task/{parent}/children").Trim();
                if (children.Length > 0)
                {
                    return int.Parse(children.Split(' ')[0]);
                }
            }
            catch (IOException)
            {
            }
            Thread.Sleep(10);
        }
        throw new TimeoutException($"unshare ({parent}) started no child");
    }

    private void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }
        _process.Dispose();
        RemoveControlDirectory();
        // Every task crik starts has its failure looked at; one that was not is a bug, whatever the test was about.
        if (Stderr.FirstOrDefault(l => l.Contains(UnobservedTaskLine, StringComparison.Ordinal)) is { } unobserved)
        {
            throw new InvalidOperationException($"crik logged a task of its own that failed with nobody looking at it: {unobserved}");
        }
    }

    private void RemoveControlDirectory()
    {
        string? controlDirectory = System.IO.Path.GetDirectoryName(ControlSocket);
        if (controlDirectory is not null && controlDirectory.Contains("crik-control-", StringComparison.Ordinal) && Directory.Exists(controlDirectory))
        {
            Directory.Delete(controlDirectory, recursive: true);
        }
    }
}
