using System.Diagnostics;
using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Processes;

/// <summary>
/// Where the tests make a thread of crik's throw an exception of a type it does not expect: the first
/// time the point named by CRIK_FAULT is reached, it throws <see cref="FaultSeamException"/>. Debug
/// builds only: the calls are compiled out of the shipped binary, which never acts on CRIK_FAULT.
/// </summary>
internal static class FaultSeam
{
    private static int Fired;

    [Conditional("DEBUG")]
    public static void Hit(string point)
    {
        if (Environment.GetEnvironmentVariable("CRIK_FAULT") == point && Interlocked.Exchange(ref Fired, 1) == 0)
        {
            throw new FaultSeamException(point);
        }
    }

    /// <summary>
    /// With CRIK_FAULT set to <paramref name="point"/>: once the file CRIK_TEST_FAULT_HOLD_FILE names exists (the app made it,
    /// say, once its processes are all there; 30 s at most), throws as <see cref="Hit"/> does.
    /// </summary>
    [Conditional("DEBUG")]
    public static void HitOnceHeld(string point)
    {
        if (Environment.GetEnvironmentVariable("CRIK_FAULT") == point)
        {
            WaitForHoldFile();
            Hit(point);
        }
    }

    private static void WaitForHoldFile()
    {
        var waited = Stopwatch.StartNew();
        while (Environment.GetEnvironmentVariable("CRIK_TEST_FAULT_HOLD_FILE") is { } file && !File.Exists(file) && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(10);
        }
    }

    /// <summary>
    /// The first time the point named by CRIK_FAULT is reached, throws an <see cref="IOException"/>, as a store that fails a
    /// read does: a failure crik expects there, unlike <see cref="Hit"/>'s.
    /// </summary>
    [Conditional("DEBUG")]
    public static void FailIo(string point)
    {
        if (Environment.GetEnvironmentVariable("CRIK_FAULT") == point && Interlocked.Exchange(ref Fired, 1) == 0)
        {
            throw new IOException($"a read failure the tests asked for at \"{point}\" (CRIK_FAULT)");
        }
    }

    /// <summary>
    /// With CRIK_FAULT=restorer-writes: writes the byte 0xAB at offset 11 of process <paramref name="pid"/>'s largest private
    /// area, through its /proc/PID/mem, as a write of CRIU's restorer (or of the kernel for it) would land in a page crik had
    /// already put in: once the restore has ended, before the app first runs.
    /// </summary>
    [Conditional("DEBUG")]
    public static void WriteAsTheRestorer(int pid)
    {
        if (Environment.GetEnvironmentVariable("CRIK_FAULT") != "restorer-writes")
        {
            return;
        }
        MapsArea largest = MemoryMaps.Read(pid).Where(a => a.Private).OrderByDescending(a => a.Size).First();
        WaitUntilPresent(pid, largest.Start); // a write through /proc/PID/mem to a page the fill has yet to put in fails (EIO)
        using var memory = new FileStream($"/proc/{pid}/mem", FileMode.Open, FileAccess.Write);
        memory.Position = (long)largest.Start + 11;
        memory.WriteByte(0xAB);
    }

    /// <summary>Until the page at <paramref name="address"/> holds bytes in process <paramref name="pid"/>'s memory (<see cref="ProcPagemap.Holds"/>), for at most 30 s.</summary>
    private static void WaitUntilPresent(int pid, ulong address)
    {
        using SafeFileHandle pagemap = File.OpenHandle($"/proc/{pid}/pagemap");
        var waited = Stopwatch.StartNew();
        while (!ProcPagemap.Holds(ProcPagemap.EntryAt(pagemap, address)) && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(1);
        }
    }

    /// <summary>
    /// With CRIK_FAULT set to <paramref name="point"/>: a thread outside every guard throws after <paramref name="delayMs"/> (and
    /// once CRIK_TEST_FAULT_HOLD_FILE exists, when set), for the last resort to catch.
    /// </summary>
    [Conditional("DEBUG")]
    public static void ThrowUnguarded(string point = "unguarded", int delayMs = 500)
    {
        if (Environment.GetEnvironmentVariable("CRIK_FAULT") == point)
        {
            var thread = new Thread(() =>
            {
                Thread.Sleep(delayMs);
                WaitForHoldFile();
                Hit(point);
            })
            { IsBackground = true, Name = "crik fault seam" };
            thread.Start();
        }
    }
}

/// <summary>The tests' exception (CRIK_FAULT): of a type no code of crik's catches on purpose.</summary>
internal sealed class FaultSeamException(string point) : Exception($"a fault the tests asked for at \"{point}\" (CRIK_FAULT)");
