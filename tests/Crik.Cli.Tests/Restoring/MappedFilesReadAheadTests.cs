using System.Diagnostics;
using System.Globalization;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// While CRIU restores the app, crik has the files the app maps read into the page cache, so that on a new
/// node its first request does not wait for the disk at each page of code it runs for the first time.
/// </summary>
public class MappedFilesReadAheadTests
{
    private const int FileBytes = 32 << 20;

    [CriuFact]
    public void AFileTheAppMapsButHasNotReadIsInThePageCacheSoonAfterALazyRestore()
    {
        using var pods = new Pods("lazyRestore: on\n");
        string data = Path.Combine(pods.Root, "library.bin");
        using (var file = new FileStream(data, FileMode.CreateNew, FileAccess.Write))
        {
            file.Write(System.Security.Cryptography.RandomNumberGenerator.GetBytes(FileBytes));
            file.Flush(flushToDisk: true); // clean pages, which the kernel drops when asked
        }
        string[] app = ["python3", Paths.App("mapped-file.py"), data];
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("mapped");
            Pods.CheckpointAndStop(first);
        }
        // As on a new node: none of the file is cached (the app that mapped it is gone).
        HostCommand.MustRun("python3", "-c", "import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)", data);
        Assert.True(CachedBytes(data) < FileBytes / 4, $"the kernel kept {CachedBytes(data)} bytes of {data} cached");

        using CrikRun second = pods.Start(app);
        Assert.Contains(", lazily (", second.WaitForLine("Restored checkpoint 1 ", stderr: true), StringComparison.Ordinal);
        // The app never reads the file: only crik's read-ahead brings it in.
        var waited = Stopwatch.StartNew();
        while (CachedBytes(data) < FileBytes * 9L / 10 && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            Thread.Sleep(50);
        }
        Assert.True(CachedBytes(data) >= FileBytes * 9L / 10, $"{CachedBytes(data)} of {FileBytes} bytes cached after {waited.Elapsed.TotalSeconds:0.0} s\n{second.Transcript}");
        second.WaitForLine(_ => Pods.Counts(second).Count >= 2);
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void WhenTheReadAheadFailsUnexpectedlyItSaysSoOnceAndTheRestoredAppRunsOn()
    {
        using var pods = new Pods("lazyRestore: on\n");
        string data = Path.Combine(pods.Root, "library.bin");
        File.WriteAllBytes(data, new byte[1 << 20]);
        string[] app = ["python3", Paths.App("mapped-file.py"), data];
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("mapped");
            Pods.CheckpointAndStop(first);
        }
        using CrikRun second = pods.StartWith(Guarding.Faults.At("crik file read-ahead"), app);
        second.WaitForLine("Restored checkpoint 1 ", stderr: true);
        Guarding.Faults.SwitchedOffOnce(second, "read-ahead of the files the app maps is");
        Guarding.Faults.AppGoesOn(second);
        Guarding.Faults.NoCrash(second);
        second.Signal(Native.SIGKILL);
    }

    /// <summary>How many bytes of the file the page cache holds (fincore, util-linux).</summary>
    private static long CachedBytes(string path)
    {
        var info = new ProcessStartInfo("fincore") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "--bytes", "--noheadings", "--raw", "--output", "RES", path })
        {
            info.ArgumentList.Add(arg);
        }
        using Process fincore = Process.Start(info)!;
        string output = fincore.StandardOutput.ReadToEnd();
        string error = fincore.StandardError.ReadToEnd();
        fincore.WaitForExit();
        Assert.True(fincore.ExitCode == 0, $"fincore {path} exited {fincore.ExitCode}: {error}");
        return long.Parse(output.Trim(), CultureInfo.InvariantCulture);
    }
}
