using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Crik.Cli.Guarding;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Serilog;

namespace Crik.Cli.Criu;

/// <summary>
/// CRIU works out what the kernel can do (its kerndat probes, tens of milliseconds) at every start, and keeps
/// what it found at /run/criu.kdat only when /run is a tmpfs, which a container's /run seldom is; it reads that
/// file from any file system, though. So crik has the probes run once, as it starts: a thread of its own moves
/// into a mount namespace of its own with a tmpfs on /run, runs criu there, and puts the file criu kept at
/// /run/criu.kdat, where every later dump and restore in this container reads it. When that cannot be done (no
/// /run, not root, criu fails), nothing changes: CRIU probes for itself, as before.
/// The file belongs to one boot of one kernel and one CRIU: it holds the zero page's frame number and the vDSO's
/// offsets, which a reboot changes, and CRIU reads it from any file system, though it keeps it only where a reboot
/// clears it. So crik writes beside it what it was made for (<see cref="KernelFeatureKey"/>), and one made for
/// another boot, kernel or CRIU (a container restarted after a reboot, or /run on a volume) is removed and made again.
/// </summary>
internal static class KernelFeatureCache
{
    public const string CachePath = RunDirectory + "/" + CacheName, KeyPath = RunDirectory + "/" + KeyName;
    private const string RunDirectory = "/run", CacheName = "criu.kdat", KeyName = "criu.kdat.crik-key", Unfinished = "criu.kdat.crik";
    private const int ProbesNice = -10;
    private static readonly TimeSpan CriuLimit = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The probes' PATH, where no program is found. Among its probes CRIU runs iptables -L and ip6tables -L (to load
    /// netfilter modules) and sh -c "iptables -w -L" (whether iptables takes -w), about a third of their time: all
    /// for the iptables rules that lock TCP connections while they are dumped. crik dumps and restores with
    /// --tcp-close, which never locks a connection, so nothing reads what those three find.
    /// </summary>
    public const string ProbesPath = "/dev/null";

    /// <summary>Starts the work on a thread of its own; the task ends once it is done or given up, and never fails.</summary>
    public static Task PrepareAsync(ChildReaper reaper, ILogger log)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // CRIU keeps the file itself on a tmpfs, which a reboot clears; elsewhere a file already there is crik's own, from
        // earlier in this container, and kept only when it was made for this boot, kernel and CRIU.
        if (Posix.EffectiveUserId != 0 || FileSystemType.Of(RunDirectory) is null or FileSystemType.Tmpfs || IsCurrent(log))
        {
            done.SetResult();
            return done.Task;
        }
        BackgroundThread.Start(() =>
        {
            try
            {
                if (ProbeOnThreadOfItsOwn(reaper) is { } kept)
                {
                    log.Debug("CRIU's view of the kernel is kept at {Path} ({Bytes} bytes, {Ms} ms): later dumps and restores skip its probes",
                        CachePath, kept.Bytes, kept.Ms);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or SpawnException or ProbesNotRunException)
            {
                log.Debug("Not keeping CRIU's view of the kernel at {Path}: {Error}", CachePath, e.Message);
            }
            finally
            {
                done.TrySetResult();
            }
        }, "crik criu kerndat", (name, e) => log.Debug(e, "{Thread} failed; CRIU works out what the kernel can do at each start", name));
        return done.Task;
    }

    /// <summary>
    /// Runs <see cref="Prepare"/> on a thread that moves into a mount namespace of its own and raises its priority. A thread
    /// takes both from the thread that creates it, so that thread must create none: no task it completes (whose continuation
    /// could start a thread pool worker there), no timer (whose thread would be born there), no log line. It ends before the
    /// calling thread, in crik's own namespace, says how it went. What it threw is thrown here.
    /// </summary>
    private static (int Bytes, long Ms)? ProbeOnThreadOfItsOwn(ChildReaper reaper)
    {
        (int Bytes, long Ms)? kept = null;
        ExceptionDispatchInfo? failure = null;
        var probes = new Thread(Probe) { IsBackground = true, Name = "crik criu probes" };
        probes.Start();
        probes.Join();
        failure?.Throw();
        return kept;

        void Probe()
        {
            try
            {
                kept = Prepare(reaper);
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        }
    }

    /// <summary>
    /// Whether /run/criu.kdat is there and was made for this boot, kernel and CRIU. One that was not is removed here,
    /// before any criu runs, so that no dump or restore reads it.
    /// </summary>
    private static bool IsCurrent(ILogger log)
    {
        try
        {
            return KeptIsCurrent(log);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("CRIU's view of the kernel at {Path} could not be checked or removed ({Error}); remove it if this node rebooted", CachePath, e.Message);
            return true;
        }
    }

    private static bool KeptIsCurrent(ILogger log)
    {
        if (!File.Exists(CachePath))
        {
            return false;
        }
        string? key = File.Exists(KeyPath) ? File.ReadAllText(KeyPath) : null;
        string current = KernelFeatureKey.Current();
        if (key == current)
        {
            return true;
        }
        File.Delete(CachePath);
        File.Delete(KeyPath);
        log.Information("CRIU's view of the kernel at {Path} was made for {Then}, not for this {Now}: it is made again", CachePath,
            key is null ? "an unknown boot (no key beside it)" : KernelFeatureKey.Describe(key), KernelFeatureKey.Describe(current));
        return false;
    }

    /// <summary>What the probes kept (its size, and how long they took); null when criu did not end within <see cref="CriuLimit"/>.</summary>
    private static (int Bytes, long Ms)? Prepare(ChildReaper reaper)
    {
        var clock = Stopwatch.StartNew();
        // Opened first: after the move this descriptor is still the container's /run, which the path no longer reaches.
        using DirectoryHandle run = DirectoryHandle.OpenOrCreate(RunDirectory);
        if (!Posix.TryPrivateTmpfsOn(RunDirectory, out Errno errno))
        {
            throw new ProbesNotRunException($"no mount namespace with a tmpfs on /run ({errno})");
        }
        // A restore waits for these probes, and they start with crik: ahead of crik's own work on the CPU, where it
        // may (their wall time doubled beside a restore's choosing and laying out). This short-lived thread's priority
        // is what criu starts with.
        Posix.TrySetOwnThreadNice(ProbesNice);
        TrackedChild criu = CriuProcessGroup.Start(reaper, new SpawnRequest(["criu", "check", "--feature", "uffd-noncoop"],
            OutputPath: "/dev/null", Setting: new Dictionary<string, string> { ["PATH"] = ProbesPath }));
        // A blocking wait: an asynchronous one with a limit would start .NET's timer thread here, were it not running yet.
        if (!CriuProcessGroup.EndedWithin(reaper, criu, CriuLimit))
        {
            throw new ProbesNotRunException($"criu check did not end within {CriuLimit.TotalSeconds:0} s and was killed");
        }
        byte[] kept = File.ReadAllBytes(CachePath); // this thread's view: the private tmpfs
        WriteWhole(run, CacheName, kept);
        // The key last: a crik stopped before this finds no key next time, and makes the file again.
        WriteWhole(run, KeyName, System.Text.Encoding.UTF8.GetBytes(KernelFeatureKey.Current()));
        return (kept.Length, clock.ElapsedMilliseconds);
    }

    /// <summary>Why the probes were not run, or what they found not kept.</summary>
    private sealed class ProbesNotRunException(string message) : Exception(message);

    /// <summary>Writes <paramref name="bytes"/> under another name, then renames it to <paramref name="name"/>: a reader finds the whole file or none.</summary>
    private static void WriteWhole(DirectoryHandle run, string name, byte[] bytes)
    {
        run.DeleteFile(Unfinished);
        using (var file = run.CreateFile(Unfinished))
        {
            RandomAccess.Write(file, bytes, 0);
        }
        run.Rename(Unfinished, run, name);
    }
}
