using System.Diagnostics;
using Crik.Cli.Criu;
using Crik.Cli.ImageStore;
using Crik.Cli.Interop;
using Crik.Cli.Supervision;
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

    private readonly List<string> _names = [];
    private ScratchDirectory? _scratch;
    private int _made;

    public int Count => _names.Count;

    public bool TracksMemory => tracksMemory;

    /// <summary>Pre-dumps the app; false when that failed (logged; the chain is dropped and the app may need resuming).</summary>
    public async Task<bool> PreDumpAsync(RunningApp app, IReadOnlyList<ExternalMount> mounts, TimeSpan timeout)
    {
        if (_names.Count >= MaxLength)
        {
            Drop(); // the next pre-dump is a whole one again
        }
        var clock = Stopwatch.StartNew();
        string name = $"pre-{++_made}";
        string? logFile = null;
        try
        {
            _scratch ??= ScratchDirectory.Create("crik-pre-dumps", fallbackParent: null);
            using DirectoryHandle images = _scratch.Directory.CreateDirectory(name);
            var work = new CriuWorkDir(_scratch.Directory.ProcPath, $"{name}.log");
            logFile = _scratch.Directory.PathOf(work.LogName);
            string? parent = _names.Count > 0 ? $"../{_names[^1]}" : null;
            CriuResult result = await criu.RunAsync(CriuArguments.PreDump(app.Pid, images.ProcPath, work, mounts, parent, tracksMemory),
                work, timeout).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                log.Warning("Pre-dump failed after {Seconds:0.00} s: {Why}; CRIU log {Log}. The app keeps running; the next checkpoint dumps all of its memory",
                    clock.Elapsed.TotalSeconds, result.Describe(timeout), logFile);
                Drop();
                return false;
            }
            _names.Add(name);
            long pages = PagesBytes(_scratch.Directory.PathOf(name));
            log.Information("Pre-dumped the app in {Seconds:0.00} s (frozen for part of it): {Size} of memory changed since the {Since}, in {Dir}",
                clock.Elapsed.TotalSeconds, Size.Format(pages), _names.Count == 1 ? "last checkpoint" : "previous pre-dump",
                _scratch.Directory.PathOf(name));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("Pre-dump failed: {Error}{Log}. The app keeps running; the next checkpoint dumps all of its memory",
                e.Message, logFile is null ? "" : $"; CRIU log {logFile}");
            Drop();
            return false;
        }
    }

    /// <summary>A new directory beside the pre-dumps for a dump on top of the newest, and that pre-dump as its parent.</summary>
    public (DirectoryHandle Directory, PreDumpParent Parent) BeginDump()
    {
        if (_scratch is null || _names.Count == 0)
        {
            throw new InvalidOperationException("there is no pre-dump to dump on top of");
        }
        DirectoryHandle directory = _scratch.Directory.CreateDirectory($"dump-{++_made}");
        return (directory, new PreDumpParent($"../{_names[^1]}", tracksMemory));
    }

    /// <summary>The directories a dump made by <see cref="BeginDump"/> reads its pages from: the dump's, then the pre-dumps newest first.</summary>
    public List<string> ChainUnder(DirectoryHandle dump) =>
        [dump.Path, .. Enumerable.Reverse(_names).Select(n => _scratch!.Directory.PathOf(n))];

    /// <summary>Deletes every pre-dump: the next one is a whole one.</summary>
    public void Drop()
    {
        _names.Clear();
        _scratch?.Dispose();
        _scratch = null;
    }

    public void Dispose() => Drop();

    private static long PagesBytes(string directory) =>
        Directory.EnumerateFiles(directory, "pages-*.img").Sum(path => new FileInfo(path).Length);
}
