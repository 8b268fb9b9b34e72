using System.Diagnostics;
using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.LazyPages;

/// <summary>
/// The memory of a lazily restored app on its way in: CRIU's lazy-pages daemon (started before
/// <c>criu restore --lazy-pages</c>, which hands it the app's userfaultfds), crik's
/// <see cref="PageServer"/> it asks for each range, and the <see cref="UserfaultGuard"/>. It ends when
/// the daemon has put every page in (<see cref="Loaded"/> is null) or failed (why); on a failure the
/// app is killed first (<c>killApp</c>), because a daemon gone is an app that would read zeros.
/// </summary>
internal sealed class LazyLoad : IDisposable
{
    public const string LogName = "lazy-pages.log";
    private static readonly TimeSpan ReadyWait = TimeSpan.FromSeconds(10);

    /// <summary>The daemon's end of crik's page-server socket (--ps-socket).</summary>
    private const int PageServerFd = 3;

    /// <summary>The longest one answer to the daemon may take (a store that stops answering): past it the app, blocked on that page, is killed.</summary>
    public static readonly TimeSpan PageWait = TimeSpan.FromSeconds(30);

    private readonly LazyImages _images;
    private readonly PackReader _packs;
    private readonly TrackedChild _daemon;
    private readonly PageServer _server;
    private readonly UserfaultGuard _guard;
    private readonly Action<string> _killApp;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _disposed;

    private LazyLoad(LazyImages images, PackReader packs, TrackedChild daemon, PageServer server, Action<string> killApp)
    {
        _images = images;
        _packs = packs;
        _daemon = daemon;
        _server = server;
        _killApp = killApp;
        _guard = new UserfaultGuard(daemon.Pid);
        Loaded = WatchAsync();
    }

    /// <summary>Where CRIU reads the images (all but the lazy pages) from.</summary>
    public string ImagesDir => _images.ImagesDir;

    /// <summary>Where the daemon's log is while it runs.</summary>
    public string LogPath => Path.Combine(_images.ImagesDir, LogName);

    /// <summary>Null once every page is in; why not, when loading failed (the app was killed first).</summary>
    public Task<string?> Loaded { get; }

    /// <summary>How long loading took (so far).</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Bytes served to the daemon so far, and the most it can ask for.</summary>
    public long ServedBytes => _server.BytesServed;

    public long LazyBytes => _images.LazyBytes;

    public int Requests => _server.Requests;

    /// <inheritdoc cref="PageServer.Time"/>
    public (TimeSpan Waiting, TimeSpan Reading, TimeSpan Sending) ServingTime => _server.Time;

    /// <summary>The chunks read ahead because the app touched them first after its last restore, and how many of them it asked for.</summary>
    public (int Chunks, long Bytes, int Used) ReadFirst => (_images.ReadingFirst.Chunks, _images.ReadingFirst.Bytes, _images.FirstUsed);

    /// <summary>The memory the app touched first since this restore, in order.</summary>
    public IReadOnlyList<TouchedRange> FirstTouched() => _server.Touched();

    /// <summary>
    /// Starts CRIU's lazy-pages daemon on <paramref name="images"/> in <paramref name="work"/> (where the
    /// restore will find its socket), lays out the rest of the images while it starts (<paramref name="layOut"/>,
    /// on this thread: the daemon reads only what <see cref="LazyImages.Begin"/> wrote before it listens),
    /// and waits until it listens. Takes ownership of the images and packs once it returns.
    /// </summary>
    /// <param name="killApp">Kills whatever of the app runs, with the reason; called before the daemon can let go of its memory.</param>
    public static async Task<LazyLoad> StartAsync(LazyImages images, PackReader packs, CriuWorkDir work, ChildReaper reaper, Action<string> killApp, Action layOut)
    {
        (System.Net.Sockets.Socket pageSocket, SafeFileHandle daemonPageEnd) = Userfault.SocketPair();
        (System.Net.Sockets.Socket statusSocket, SafeFileHandle daemonStatusEnd) = Userfault.SocketPair();
        TrackedChild daemon;
        using (daemonPageEnd)
        using (daemonStatusEnd)
        {
            try
            {
                string log = Path.Combine(images.ImagesDir, LogName);
                daemon = reaper.Start(() => Spawner.Spawn(new SpawnRequest(
                    ["criu", .. CriuArguments.LazyPages(images.ImagesDir, work, log, PageServerFd, statusFd: 4)],
                    OutputPath: log + ".out", Inherited: [daemonPageEnd, daemonStatusEnd])));
            }
            catch
            {
                pageSocket.Dispose();
                statusSocket.Dispose();
                throw;
            }
        }
        using (statusSocket)
        {
            Task<int> ready = statusSocket.ReceiveAsync(new byte[1], System.Net.Sockets.SocketFlags.None);
            try
            {
                layOut();
            }
            catch
            {
                pageSocket.Dispose();
                Posix.TrySignal(daemon.Pid, Signal.SIGKILL);
                await daemon.Exited.ConfigureAwait(false);
                throw;
            }
            Task first = await Task.WhenAny(ready, daemon.Exited, Task.Delay(ReadyWait)).ConfigureAwait(false);
            if (first != ready || ready.Result != 1)
            {
                pageSocket.Dispose();
                Posix.TrySignal(daemon.Pid, Signal.SIGKILL);
                await daemon.Exited.ConfigureAwait(false);
                string log = Path.Combine(images.ImagesDir, LogName);
                throw new IOException($"CRIU's lazy-pages daemon did not start ({(daemon.Exited.IsCompleted && first == daemon.Exited ? CriuRunner.FirstError(log) : $"not ready within {ReadyWait.TotalSeconds:0} s")})");
            }
        }
        var server = new PageServer(pageSocket, images.Tasks, images.Images, killApp);
        return new LazyLoad(images, packs, daemon, server, killApp);
    }

    /// <summary>
    /// The restore is done: crik takes its hold on every userfaultfd the restore handed the daemon
    /// now, not at its next look (every 10 ms), so no moment is left in which the daemon's death would
    /// give the app zeros. The restore does not wait for the daemon to take them, so neither can this
    /// look before it has: a daemon that has not taken them within <see cref="ReadyWait"/> is stopped,
    /// and loading fails (the app is killed) as when it dies.
    /// </summary>
    public async Task HoldUserfaultsAsync()
    {
        var clock = Stopwatch.StartNew();
        while (!_guard.DaemonHasTakenAll(PageServerFd) && !_daemon.Exited.IsCompleted)
        {
            if (clock.Elapsed > ReadyWait)
            {
                _server.Abandon($"CRIU's lazy-pages daemon had not taken the app's memory {ReadyWait.TotalSeconds:0} s after the restore");
                Posix.TrySignal(_daemon.Pid, Signal.SIGKILL);
                return;
            }
            await Task.Delay(1).ConfigureAwait(false);
        }
        _guard.Refresh();
    }

    /// <summary>The restore failed: the daemon is stopped and everything is let go.</summary>
    public async Task AbortAsync()
    {
        Posix.TrySignal(_daemon.Pid, Signal.SIGKILL);
        await Loaded.ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _guard.Dispose();
            _server.Dispose();
            _images.Dispose();
            _packs.Dispose();
        }
    }

    private async Task<string?> WatchAsync()
    {
        while (!_daemon.Exited.IsCompleted)
        {
            _guard.Refresh();
            if (_server.Busy > PageWait)
            {
                _server.Abandon($"reading a page took more than {PageWait.TotalSeconds:0} s (the image store stopped answering?)");
            }
            await Task.WhenAny(_daemon.Exited, Task.Delay(10)).ConfigureAwait(false);
        }
        WaitStatus status = await _daemon.Exited.ConfigureAwait(false);
        string? failure;
        try
        {
            failure = await _server.Served.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            failure = "the page server was still serving after CRIU's lazy-pages daemon ended";
        }
        // A daemon that died says more than the socket it left closed.
        if (!(status.Exited && status.ExitCode == 0) && (failure is null || _server.LostDaemon))
        {
            string how = status.Exited ? $"exited with code {status.ExitCode}" : $"was killed by {Posix.SignalName(status.TermSignal)}";
            failure = $"CRIU's lazy-pages daemon {how} ({CriuRunner.FirstError(LogPath)})";
        }
        if (failure is not null)
        {
            _killApp(failure); // before crik's copies of the userfaultfds close
        }
        _clock.Stop();
        Dispose();
        return failure;
    }
}
