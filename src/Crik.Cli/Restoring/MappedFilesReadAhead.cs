using System.Diagnostics;
using Crik.Cli.Criu;
using Crik.Cli.Guarding;
using Crik.Cli.Interop;
using Crik.Cli.Logging;
using Crik.Cli.Processes;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// Has the kernel read into its page cache, while CRIU restores the app, the files the app maps privately:
/// its executable, its libraries, a JVM's class archive. A restored process finds none of their pages mapped,
/// and on a new node none of them is cached either, so without this the app's first request waits for the
/// disk at each page of code it runs for the first time. Code first, then the rest, at most <see cref="Budget"/>.
/// It only advises the kernel (posix_fadvise WILLNEED) on a thread of its own: nothing waits for it, and a
/// file it cannot open as a regular file is left alone.
/// </summary>
internal static class MappedFilesReadAhead
{
    public const string ThreadName = "crik file read-ahead";

    /// <summary>The most it asks for: enough for a runtime and its libraries, not a whole mapped data set.</summary>
    public const long Budget = 64L << 20;

    public static void Start(IReadOnlyList<MappedFileRange> ranges, ILogger log)
    {
        if (ranges.Count == 0)
        {
            return;
        }
        BackgroundThread.StartSoon(() => ReadAhead(ranges, log), ThreadName,
            (name, e) => log.Warning("crik's read-ahead of the files the app maps is switched off: the restored app reads them from disk as it "
                + "runs, and goes on. Why: {Thread} failed unexpectedly: {Error}", name, e.ToString()));
    }

    private static void ReadAhead(IReadOnlyList<MappedFileRange> ranges, ILogger log)
    {
        var clock = Stopwatch.StartNew();
        FaultSeam.Hit(ThreadName);
        long asked = 0;
        var files = new HashSet<string>(StringComparer.Ordinal);
        foreach (MappedFileRange range in ranges.OrderByDescending(r => r.Executable).TakeWhile(_ => asked < Budget))
        {
            long length = Math.Min(range.Length, Budget - asked);
            if (TryAdvise(range with { Length = length }))
            {
                asked += length;
                files.Add(range.Path);
            }
        }
        log.Debug("Asked the kernel to read ahead {Size} of {Files} files the restored app maps, in {Milliseconds} ms",
            Size.Format(asked), files.Count, clock.ElapsedMilliseconds);
    }

    private static bool TryAdvise(MappedFileRange range)
    {
        try
        {
            return Posix.TryReadAhead(range.Path, range.Offset, range.Length);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
