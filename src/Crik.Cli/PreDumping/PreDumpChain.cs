// PreDumping/ owns CRIU's pre-dumps (where the kernel tracks dirty memory) and turning a dump on top
// of them into whole images: crik's generations never depend on files that live only on one node.
using System.Diagnostics;
using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.Locking;
using Crik.Cli.Logging;
using Crik.Cli.Processes;
using Serilog;

namespace Crik.Cli.PreDumping;

/// <summary>
/// The pre-dumps of the running app since its last checkpoint, each holding only the memory that
/// changed since the one before, in a private directory on the node (never in the image
/// directory: they are not checkpoints, and a new pod could not use them). The next checkpoint is
/// a dump on top of the newest, which freezes the app only for what changed since; the chain is
/// dropped after it, whatever became of it, since that dump reset the kernel's dirty-memory tracking.
/// </summary>
/// <param name="tracksMemory">False only in the test mode for kernels without dirty-memory tracking.</param>
internal sealed class PreDumpChain(CriuRunner criu, bool tracksMemory, ILogger log) : IDisposable
{
    /// <summary>The longest chain: a dump on top of it reads at most this many directories of pages.</summary>
    public const int MaxLength = 8;

    /// <summary>After this many failed pre-dumps in a row crik stops pre-dumping the app.</summary>
    public const int FailuresBeforeGivingUp = 3;

    /// <summary>
    /// Pre-dumps stopped before they ended (<see cref="Stopped"/>) in a row, with none taken whole between, after which no
    /// more are taken: signals come faster than a pre-dump takes, and each one stopped only cost the app a freeze.
    /// </summary>
    public const int StopsBeforeGivingUp = 10;

    /// <summary>The file in each chain's directory its crik holds locked while it lives (see <see cref="DeleteStale"/>).</summary>
    public const string OwnerFile = ".owner";

    /// <summary>Where the log of the last failed pre-dump is kept, in the temporary directory (its chain is deleted).</summary>
    public const string FailedLogName = "crik-pre-dump-failed.log";

    /// <summary>The pre-dumps, oldest first, each held open so that its images are read through the handle.</summary>
    private readonly List<(string Name, DirectoryHandle Directory)> _preDumps = [];
    private ScratchDirectory? _scratch;
    private HandleLock? _owner;
    private int _made;
    private long _firstBytes;
    private long _chainBytes;

    /// <summary>Pre-dumps that failed, and that were stopped, since the last one taken whole.</summary>
    private (int Failures, int Stops) _inARow;

    public int Count => _preDumps.Count;

    /// <summary>Pre-dumps failed <see cref="FailuresBeforeGivingUp"/> times in a row, or were stopped <see cref="StopsBeforeGivingUp"/> times: no more are taken.</summary>
    public bool GaveUp => _inARow.Failures >= FailuresBeforeGivingUp || _inARow.Stops >= StopsBeforeGivingUp;

    /// <summary>
    /// Pre-dumps the app; false when that failed (logged; the chain is dropped and the app may need
    /// resuming). <paramref name="abort"/> kills CRIU (a SIGTERM must not wait for a pre-dump).
    /// </summary>
    public async Task<bool> PreDumpAsync(RunningApp app, IReadOnlyList<ExternalMount> mounts, TimeSpan timeout, CancellationToken abort)
    {
        // A chain grows by what the app rewrites; past twice its whole first pre-dump, a whole one costs less to read back.
        if (_preDumps.Count >= MaxLength || (_preDumps.Count > 0 && _chainBytes > 2 * _firstBytes))
        {
            Drop();
        }
        var clock = Stopwatch.StartNew();
        string name = $"pre-{++_made}";
        string? logFile = null;
        DirectoryHandle? images = null;
        try
        {
            ScratchDirectory scratch = _scratch ??= OwnedScratch();
            images = scratch.Directory.CreateDirectory(name);
            var work = new CriuWorkDir(scratch.Directory.ProcPath, $"{name}.log");
            logFile = scratch.Directory.PathOf(work.LogName);
            string? parent = _preDumps.Count > 0 ? $"../{_preDumps[^1].Name}" : null;
            CriuResult result = await criu.RunAsync(CriuArguments.PreDump(app.Pid, images.ProcPath, work, mounts, parent, tracksMemory),
                work, timeout, kill: abort).ConfigureAwait(false);
            if (!result.Succeeded && abort.IsCancellationRequested)
            {
                return Stopped(clock.Elapsed);
            }
            if (!result.Succeeded)
            {
                return Failed($" after {clock.Elapsed.TotalSeconds:0.00} s: {result.Describe(timeout)}", logFile);
            }
            long bytes = PagesBytes(images);
            _preDumps.Add((name, images));
            images = null;
            _firstBytes = _preDumps.Count == 1 ? bytes : _firstBytes;
            _chainBytes += bytes;
            _inARow = (0, 0);
            log.Information("Pre-dumped the app in {Seconds:0.00} s (frozen for part of it): {Size} of memory changed since the {Since}, in {Dir}",
                clock.Elapsed.TotalSeconds, Size.Format(bytes), _preDumps.Count == 1 ? "last checkpoint" : "previous pre-dump",
                scratch.Directory.PathOf(name));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Failed($": {e.Message}", logFile);
        }
        finally
        {
            images?.Dispose();
        }
    }

    /// <summary>A new directory beside the pre-dumps for a dump on top of the newest, and that pre-dump as its parent.</summary>
    public (DirectoryHandle Directory, PreDumpParent Parent) BeginDump()
    {
        if (_scratch is null || _preDumps.Count == 0)
        {
            throw new InvalidOperationException("there is no pre-dump to dump on top of");
        }
        DirectoryHandle directory = _scratch.Directory.CreateDirectory($"dump-{++_made}");
        return (directory, new PreDumpParent($"../{_preDumps[^1].Name}", tracksMemory));
    }

    /// <summary>
    /// The directories a dump made by <see cref="BeginDump"/> reads its pages from: the dump's, then the
    /// pre-dumps newest first. The chain keeps the pre-dumps' handles until <see cref="Drop"/>.
    /// </summary>
    public List<DirectoryHandle> ChainUnder(DirectoryHandle dump) =>
        [dump, .. Enumerable.Reverse(_preDumps).Select(p => p.Directory)];

    /// <summary>Deletes every pre-dump: the next one is a whole one. Never throws (it runs after commits).</summary>
    public void Drop()
    {
        foreach ((_, DirectoryHandle directory) in _preDumps)
        {
            directory.Dispose();
        }
        _preDumps.Clear();
        _chainBytes = 0;
        try
        {
            _scratch?.Dispose();
        }
        catch (Exception e)
        {
            log.Warning("Could not delete the pre-dumps in {Dir}: {Error}", Path.GetTempPath(), e.Message);
        }
        _scratch = null;
        _owner?.Dispose();
        _owner = null;
    }

    public void Dispose() => Drop();

    /// <summary>
    /// Deletes the chains in <paramref name="temporary"/> that no running crik holds: left by a crik
    /// that was killed (an emptyDir /tmp outlives the container), they hold the app's memory in
    /// plaintext and take the node's disk. Returns how many were deleted; never throws.
    /// </summary>
    public static int DeleteStale(string temporary)
    {
        int deleted = 0;
        try
        {
            foreach (string directory in Directory.EnumerateDirectories(temporary, "crik-pre-dumps-*"))
            {
                string owner = Path.Combine(directory, OwnerFile);
                HandleLock? unheld = null;
                try
                {
                    if (File.Exists(owner))
                    {
                        unheld = HandleLock.TryAcquire(File.OpenHandle(owner), owner, TimeSpan.Zero);
                        if (unheld is null)
                        {
                            continue; // a running crik's
                        }
                    }
                    else if (DateTime.UtcNow - Directory.GetCreationTimeUtc(directory) < TimeSpan.FromMinutes(1))
                    {
                        continue; // just made: its crik has yet to create and lock its owner file
                    }
                    Directory.Delete(directory, recursive: true);
                    deleted++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Left for the next start.
                }
                finally
                {
                    unheld?.Dispose();
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return deleted;
    }

    /// <summary>
    /// A pre-dump stopped for something more urgent: no failure of pre-dumping, so it counts towards none (a terminal's
    /// SIGWINCH or a SIGHUP to reload must not end pre-dumps). Its chain goes all the same: CRIU may have reset what tracks the
    /// app's writes before it stopped.
    /// </summary>
    private bool Stopped(TimeSpan after)
    {
        _inARow.Stops++;
        log.Information("Pre-dump stopped after {Seconds:0.00} s for a signal, the app's end or a lost lease; the next checkpoint "
            + "dumps all of the app's memory", after.TotalSeconds);
        Drop();
        if (_inARow.Stops >= StopsBeforeGivingUp)
        {
            log.Warning("Pre-dumps were stopped {Count} times in a row, each before it ended: signals come faster than a pre-dump takes, so crik "
                + "stops pre-dumping this app; its checkpoints dump all of its memory", StopsBeforeGivingUp);
        }
        return false;
    }

    private bool Failed(string why, string? logFile)
    {
        _inARow.Failures++;
        string keptLog = KeepLog(logFile);
        log.Warning("Pre-dump failed{Why}{Log}. The app keeps running; the next checkpoint dumps all of its memory", why,
            keptLog.Length > 0 ? $"; CRIU log {keptLog}" : "");
        Drop();
        if (GaveUp)
        {
            log.Warning("Pre-dumps failed {Count} times in a row: crik stops pre-dumping this app; its checkpoints dump all of its memory",
                FailuresBeforeGivingUp);
        }
        return false;
    }

    /// <summary>Moves a failed pre-dump's log out of the chain, which is about to be deleted; its new path, or "".</summary>
    private static string KeepLog(string? logFile)
    {
        if (logFile is null || !File.Exists(logFile))
        {
            return "";
        }
        try
        {
            string kept = Path.Combine(Path.GetTempPath(), FailedLogName);
            File.Move(logFile, kept, overwrite: true);
            return kept;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private ScratchDirectory OwnedScratch()
    {
        ScratchDirectory scratch = ScratchDirectory.Create("crik-pre-dumps", fallbackParent: null);
        try
        {
            // Locked under another name, then renamed: an owner file another crik's DeleteStale can see is always locked already.
            const string unnamed = OwnerFile + ".new";
            _owner = HandleLock.TryAcquire(scratch.Directory.CreateFile(unnamed), scratch.Directory.PathOf(OwnerFile), TimeSpan.Zero);
            scratch.Directory.Rename(unnamed, scratch.Directory, OwnerFile);
            return scratch;
        }
        catch
        {
            scratch.Dispose();
            throw;
        }
    }

    private static long PagesBytes(DirectoryHandle directory) =>
        directory.Names().Where(name => name.StartsWith("pages-", StringComparison.Ordinal) && name.EndsWith(".img", StringComparison.Ordinal))
            .Sum(name => directory.Stat(name) is { Kind: FileKind.Regular } status ? status.Size : 0);
}
