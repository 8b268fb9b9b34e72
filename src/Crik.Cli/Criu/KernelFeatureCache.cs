using System.Diagnostics;
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
/// </summary>
internal static class KernelFeatureCache
{
    public const string CachePath = RunDirectory + "/" + CacheName;
    private const string RunDirectory = "/run", CacheName = "criu.kdat", Unfinished = "criu.kdat.crik";
    private const long TmpfsMagic = 0x01021994;
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
        // CRIU keeps the file itself on a tmpfs; a file already there is CRIU's or crik's own from earlier in this container.
        if (Posix.EffectiveUserId != 0 || File.Exists(CachePath) || FileSystemType.Of(RunDirectory) is null or TmpfsMagic)
        {
            done.SetResult();
            return done.Task;
        }
        BackgroundThread.Start(() =>
        {
            try
            {
                Prepare(reaper, log);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or SpawnException)
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

    private static void Prepare(ChildReaper reaper, ILogger log)
    {
        var clock = Stopwatch.StartNew();
        // Opened first: after the move this descriptor is still the container's /run, which the path no longer reaches.
        using DirectoryHandle run = DirectoryHandle.OpenOrCreate(RunDirectory);
        if (!Posix.TryPrivateTmpfsOn(RunDirectory, out Errno errno))
        {
            log.Debug("Not keeping CRIU's view of the kernel at {Path}: no mount namespace with a tmpfs on /run ({Errno})", CachePath, errno);
            return;
        }
        // A restore waits for these probes, and they start with crik: ahead of crik's own work on the CPU, where it
        // may (their wall time doubled beside a restore's choosing and laying out). This short-lived thread's priority
        // is what criu starts with.
        Posix.TrySetOwnThreadNice(ProbesNice);
        TrackedChild criu = reaper.Start(() => Spawner.Spawn(new SpawnRequest(["criu", "check", "--feature", "uffd-noncoop"], OutputPath: "/dev/null",
            Setting: new Dictionary<string, string> { ["PATH"] = ProbesPath })));
        if (!criu.Exited.Wait(CriuLimit))
        {
            Posix.TrySignal(criu.Pid, Signal.SIGKILL);
            return;
        }
        byte[] kept = File.ReadAllBytes(CachePath); // this thread's view: the private tmpfs
        run.DeleteFile(Unfinished);
        using (var file = run.CreateFile(Unfinished))
        {
            RandomAccess.Write(file, kept, 0);
        }
        run.Rename(Unfinished, run, CacheName);
        log.Debug("CRIU's view of the kernel is kept at {Path} ({Bytes} bytes, {Ms} ms): later dumps and restores skip its probes",
            CachePath, kept.Length, clock.ElapsedMilliseconds);
    }
}
