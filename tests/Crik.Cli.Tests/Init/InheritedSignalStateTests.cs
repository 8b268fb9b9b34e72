using System.Globalization;
using Crik.Cli.Supervision;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Init;

/// <summary>
/// Every signal crik forwards reaches the app whatever crik inherited: the signal ignored (nohup, a shell's
/// <c>trap ''</c>, or a shell's background job, which ignores SIGINT and SIGQUIT: a test runner started with
/// <c>cmd &amp;</c> starts every crik so) or blocked in the signal mask. As PID 1 of its namespace, a crik
/// that does not catch a signal loses it: the kernel drops it.
/// </summary>
public class InheritedSignalStateTests
{
    private static readonly int[] Forwarded = [.. ForwardedSignals.All.Select(signal => (int)signal)];

    [NamespaceTheory]
    [InlineData(true, false, false)]
    [InlineData(false, false, true)]
    [InlineData(false, true, false)]
    [InlineData(true, true, true)]
    public void Pid1CrikForwardsEverySignalWhetherItWasStartedWithItIgnoredOrBlocked(bool ignored, bool blocked, bool inBackgroundJob)
    {
        string prefix = Prefix(ignored, blocked);
        (ulong inheritedIgnored, ulong inheritedBlocked) = WhatAProgramStartedSoInherits(prefix, inBackgroundJob);
        int[] expectIgnored = ignored ? Forwarded : inBackgroundJob ? [Native.SIGINT, Native.SIGQUIT] : [];
        AssertAllIn(inheritedIgnored, expectIgnored, "ignored in what a program started so inherits");
        AssertAllIn(inheritedBlocked, blocked ? Forwarded : [], "blocked in what a program started so inherits");

        using var run = CrikRun.Start(["run", "--", "python3", Paths.App("signal-printer.py")], shellPrefix: prefix, inBackgroundJob: inBackgroundJob);
        run.WaitForLine("ready");
        AssertAllIn(StatusMask(run.CrikPid, "SigCgt"), Forwarded, "caught by crik (SigCgt)");
        List<int> lost = [.. Forwarded.Where(signal => signal != Native.SIGTERM && !Arrives(run, signal))];
        Assert.True(lost.Count == 0, $"these signals never reached the app: {string.Join(", ", lost)}\n{run.Transcript}");
        run.Signal(Native.SIGTERM);
        run.WaitForLine(line => line == $"signal {Native.SIGTERM}");
        Assert.Equal(0, run.WaitForExit());
    }

    /// <summary>The shell text that ignores (<c>trap ''</c>) or blocks every forwarded signal before crik starts.</summary>
    private static string Prefix(bool ignored, bool blocked)
    {
        string numbers = string.Join(",", Forwarded);
        return (ignored ? $"trap '' {numbers.Replace(',', ' ')};" : "")
            + (blocked ? $" set -- python3 {Paths.App("exec-with-signals-blocked.py")} {numbers} \"$@\";" : "");
    }

    /// <summary>SigIgn and SigBlk of grep started the way the test starts crik: proof the test sets up what it says.</summary>
    private static (ulong Ignored, ulong Blocked) WhatAProgramStartedSoInherits(string prefix, bool inBackgroundJob)
    {
        using var probe = CrikRun.Start(["-E", "^Sig(Ign|Blk)", "/proc/self/status"], binary: "/bin/grep", shellPrefix: prefix,
            inBackgroundJob: inBackgroundJob);
        Assert.Equal(0, probe.WaitForExit());
        return (Mask(probe.WaitForLine("SigIgn:")), Mask(probe.WaitForLine("SigBlk:")));
    }

    private static bool Arrives(CrikRun run, int signal)
    {
        run.Signal(signal);
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            if (run.Stdout.Contains($"signal {signal}"))
            {
                return true;
            }
            Thread.Sleep(20);
        }
        return false;
    }

    private static ulong StatusMask(int pid, string field) =>
        Mask(File.ReadLines($"/proc/{pid}/status").First(line => line.StartsWith(field + ":", StringComparison.Ordinal)));

    private static ulong Mask(string statusLine) =>
        ulong.Parse(statusLine[(statusLine.IndexOf(':') + 1)..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static void AssertAllIn(ulong mask, int[] signals, string what)
    {
        int[] missing = [.. signals.Where(signal => (mask >> (signal - 1) & 1) == 0)];
        Assert.True(missing.Length == 0, $"not {what}: {string.Join(", ", missing)} (mask {mask:x})");
    }
}
