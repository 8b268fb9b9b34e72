using System.Diagnostics;
using System.Globalization;
using System.IO.Pipes;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace Crik.Cli.Tests.WriteTracking;

/// <summary>
/// The write-tracking test app running, asked over a pipe on its stdin and answering on its stdout; its areas' addresses
/// from its first line.
/// </summary>
/// <remarks>
/// Started with posix_spawn, as crik starts an app, and reaped here, not through System.Diagnostics.Process: the tests trace
/// its threads, and the kernel reports a traced child's ptrace stops to any wait of its parent's, whatever the options.
/// The runtime's SIGCHLD handler waits for every Process it started, took such a stop for an exit, and then spun for ever on
/// the real exit it believed it had seen, holding the lock every Process call needs (a full run hung).
/// </remarks>
internal sealed class TrackedApp : IDisposable
{
    private static readonly TimeSpan AnswerWait = TimeSpan.FromSeconds(30);

    private readonly AnonymousPipeServerStream _input, _output;
    private readonly StreamWriter _writer;
    private readonly StreamReader _reader;
    private bool _reaped;

    private TrackedApp(int pid, AnonymousPipeServerStream input, AnonymousPipeServerStream output)
    {
        Pid = pid;
        _input = input;
        _output = output;
        _writer = new StreamWriter(input) { AutoFlush = true };
        _reader = new StreamReader(output);
    }

    public int Pid { get; }

    public ulong A { get; private set; }

    public ulong R { get; private set; }

    public static TrackedApp Start(string binary, params string[] arguments)
    {
        var input = new AnonymousPipeServerStream(PipeDirection.Out);
        var output = new AnonymousPipeServerStream(PipeDirection.In);
        // Its own session, so CRIU finds the session leader inside the app's PID namespace wherever the tests run (CI runs
        // them in a namespace whose session leader is outside). sh execs the app in place: the PID stays.
        int pid;
        try
        {
            pid = Spawner.Spawn(new SpawnRequest(["sh", "-c", "exec \"$0\" \"$@\" <&3 >&4 3<&- 4>&-", binary, .. arguments], NewSession: true,
                NullStdin: false, Inherited: [Borrowed(input.ClientSafePipeHandle), Borrowed(output.ClientSafePipeHandle)]));
        }
        finally
        {
            input.DisposeLocalCopyOfClientHandle();
            output.DisposeLocalCopyOfClientHandle();
        }
        var app = new TrackedApp(pid, input, output);
        string first = app.NextLine();
        string[] areas = first.Split(' ');
        Assert.True(areas.Length == 5 && areas[0] == "areas", $"the app said \"{first}\"");
        app.A = Parse(areas[1]);
        app.R = Parse(areas[3]);
        return app;
    }

    public void Send(string command) => _writer.WriteLine(command);

    /// <summary>Whether the app has exited within <paramref name="wait"/>: reaped here (a stop of one of its traced threads is no exit).</summary>
    public bool WaitForExit(TimeSpan wait)
    {
        long started = Stopwatch.GetTimestamp();
        while (!_reaped && !(_reaped = Posix.ReapChild(Pid, out _)) && Stopwatch.GetElapsedTime(started) < wait)
        {
            Thread.Sleep(1);
        }
        return _reaped;
    }

    /// <summary>The next line the app writes.</summary>
    public string NextLine()
    {
        Task<string?> line = _reader.ReadLineAsync();
        Assert.True(line.Wait(AnswerWait), $"the app did not answer within {AnswerWait.TotalSeconds} s");
        return line.Result ?? "";
    }

    /// <summary>The app's answer to its last command, without "done ".</summary>
    public string Answer()
    {
        string answer = NextLine();
        Assert.StartsWith("done", answer, StringComparison.Ordinal);
        return answer.Length > 5 ? answer[5..] : "";
    }

    public string Ask(string command, bool raw = false)
    {
        Send(command);
        string answer = Answer();
        return raw ? "done" + (answer.Length > 0 ? " " + answer : "") : answer;
    }

    public void Dispose()
    {
        if (!_reaped)
        {
            _ = Posix.TrySignal(Pid, Signal.SIGKILL);
            _ = WaitForExit(TimeSpan.FromSeconds(5));
        }
        _writer.Dispose();
        _reader.Dispose();
        _input.Dispose();
        _output.Dispose();
    }

    private static SafeFileHandle Borrowed(SafePipeHandle pipe) => new(pipe.DangerousGetHandle(), ownsHandle: false);

    private static ulong Parse(string hex) => ulong.Parse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
}
