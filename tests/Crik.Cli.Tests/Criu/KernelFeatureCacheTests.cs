using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Criu;

/// <summary>
/// CRIU keeps what it found of the kernel only on a tmpfs /run, which a container's seldom is: crik has it
/// worked out once as it starts and kept at /run/criu.kdat, and the checkpoint's criu dump reads it there.
/// </summary>
[Collection(MachineWideCriuFiles.Name)]
public class KernelFeatureCacheTests
{
    [CriuFact]
    public void TheDumpReadsTheKernelFeaturesCrikKeptAtItsStart()
    {
        bool runIsTmpfs = new DriveInfo("/run").DriveFormat == "tmpfs";
        File.Delete("/run/criu.kdat"); // as in a new container: CRIU then probes the kernel at each start
        using var pods = new Pods();
        using (CrikRun pod = pods.Start("sh", "-c", Pods.Counter()))
        {
            pod.WaitForLine("count 2");
            Poll.Until(() => File.Exists("/run/criu.kdat"), $"/run/criu.kdat\n{pod.Transcript}");
            Pods.CheckpointAndStop(pod);
        }
        string dumpLog = File.ReadAllText(Path.Combine(pods.ImageDir, "logs", "dump-000001.log"));
        Assert.True(dumpLog.Contains("Loaded kdat cache from /run/criu.kdat", StringComparison.Ordinal), runIsTmpfs ? "/run is a tmpfs here" : dumpLog[..2000]);
    }

    /// <summary>
    /// crik dumps and restores with --tcp-close, so CRIU's iptables probes (a third of the probes' time, on the restore's
    /// path to the app's first answer) find what nothing reads: they are not run.
    /// </summary>
    [CriuFact]
    public void TheKernelProbesRunNoIptables()
    {
        File.Delete("/run/criu.kdat");
        using var fakes = new TempDirectory();
        string marker = Path.Combine(fakes.Path, "ran");
        foreach (string name in new[] { "iptables", "ip6tables" })
        {
            string fake = Path.Combine(fakes.Path, name);
            File.WriteAllText(fake, $"#!/bin/sh\necho \"$0 $*\" >> {marker}\n");
            File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        using var pods = new Pods();
        using (CrikRun pod = pods.StartWith(new Dictionary<string, string> { ["PATH"] = $"{fakes.Path}:{Environment.GetEnvironmentVariable("PATH")}" },
            "sh", "-c", Pods.Counter()))
        {
            pod.WaitForLine("count 2");
            Poll.Until(() => File.Exists("/run/criu.kdat"), $"/run/criu.kdat\n{pod.Transcript}");
            Pods.CheckpointAndStop(pod);
        }
        Assert.False(File.Exists(marker), File.Exists(marker) ? File.ReadAllText(marker) : "");
        string dumpLog = File.ReadAllText(Path.Combine(pods.ImageDir, "logs", "dump-000001.log"));
        Assert.Contains("Loaded kdat cache from /run/criu.kdat", dumpLog, StringComparison.Ordinal);
    }

    /// <summary>
    /// /run/criu.kdat holds the zero page's frame number and the vDSO's offsets: one made before a reboot (a container
    /// restarted by its runtime, /run on a volume) is wrong now. crik removes one made for another boot and makes it again.
    /// </summary>
    [CriuFact]
    public void ACacheMadeForAnotherBootIsMadeAgain()
    {
        Assert.False(new DriveInfo("/run").DriveFormat == "tmpfs", "/run is a tmpfs here: CRIU keeps its own cache, which a reboot clears");
        File.Delete("/run/criu.kdat");
        using (var first = new Pods())
        using (CrikRun pod = first.Start("sh", "-c", Pods.Counter()))
        {
            pod.WaitForLine("count 2");
            Poll.Until(() => File.Exists("/run/criu.kdat.crik-key"), $"/run/criu.kdat.crik-key\n{pod.Transcript}");
            Pods.CheckpointAndStop(pod);
        }
        string key = File.ReadAllText("/run/criu.kdat.crik-key");
        byte[] planted = "not what criu wrote"u8.ToArray();
        File.WriteAllBytes("/run/criu.kdat", planted);
        string otherBoot = string.Join('\n', key.Split('\n').Select(l => l.StartsWith("boot ", StringComparison.Ordinal) ? "boot 00000000-0000-0000-0000-000000000000" : l));
        File.WriteAllText("/run/criu.kdat.crik-key", otherBoot);
        using var pods = new Pods();
        using (CrikRun pod = pods.Start("sh", "-c", Pods.Counter()))
        {
            pod.WaitForLine("made for boot 00000000-0000-0000-0000-000000000000", stderr: true);
            pod.WaitForLine("count 2");
            Poll.Until(() => File.Exists("/run/criu.kdat.crik-key"), $"/run/criu.kdat.crik-key\n{pod.Transcript}");
            Pods.CheckpointAndStop(pod);
        }
        Assert.NotEqual(planted, File.ReadAllBytes("/run/criu.kdat"));
        Assert.Equal(key, File.ReadAllText("/run/criu.kdat.crik-key"));
        string dumpLog = File.ReadAllText(Path.Combine(pods.ImageDir, "logs", "dump-000001.log"));
        Assert.Contains("Loaded kdat cache from /run/criu.kdat", dumpLog, StringComparison.Ordinal);
    }

    /// <summary>
    /// The probes run on a thread of crik's that moves into a mount namespace of its own (a tmpfs on /run) and raises its
    /// priority; a thread takes both from the thread that creates it, so one started from there (a thread pool worker, a
    /// timer's thread) would spawn a restore's criu, or the app, with an empty /run. After a restore that waited for the
    /// probes, every thread of crik, and the restored app, share crik's mount namespace and priority.
    /// </summary>
    [CriuFact]
    public void NoThreadOfCrikNorTheAppKeepsTheProbesNamespaceOrPriority()
    {
        Assert.False(new DriveInfo("/run").DriveFormat == "tmpfs", "/run is a tmpfs here: crik runs no probes of its own");
        using var pods = new Pods();
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
        }
        File.Delete("/run/criu.kdat");
        File.Delete("/run/criu.kdat.crik-key");
        using CrikRun restored = pods.Start("sh", "-c", Pods.Counter());
        restored.WaitForLine("Restored checkpoint 1 ", stderr: true);
        Poll.Until(() => File.Exists("/run/criu.kdat.crik-key"), $"/run/criu.kdat.crik-key\n{restored.Transcript}");
        restored.WaitForLine(_ => Pods.Counts(restored).Count >= 2);
        int crik = restored.CrikPid;
        string mounts = Namespace(crik, crik);
        string nice = Nice(crik, crik);
        foreach (string task in Directory.GetDirectories($"/proc/{crik}/task"))
        {
            int thread = int.Parse(Path.GetFileName(task), System.Globalization.CultureInfo.InvariantCulture);
            string name = File.ReadAllText($"{task}/comm").Trim();
            Assert.True(Namespace(crik, thread) == mounts, $"crik's thread {thread} ({name}) is in another mount namespace");
            Assert.True(Nice(crik, thread) != "-10", $"crik's thread {thread} ({name}) runs at the probes' nice -10");
            // The runtime's own threads (the thread pool's, timers', sockets') serve all of crik: none takes a yielding thread's nice 10.
            Assert.True(!name.StartsWith(".NET", StringComparison.Ordinal) || Nice(crik, thread) == nice, $"crik's thread {thread} ({name}) runs at nice {Nice(crik, thread)}");
        }
        int[] children = [.. Directory.GetDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out int pid) ? pid : 0).Where(pid => pid > 0 && Parent(pid) == crik)];
        Assert.NotEmpty(children);
        Assert.All(children, child => Assert.Equal(mounts, Namespace(child, child)));
        restored.Signal(Native.SIGKILL);
    }

    private static string Namespace(int pid, int thread) => new FileInfo($"/proc/{pid}/task/{thread}/ns/mnt").LinkTarget ?? "";

    /// <summary>A thread's nice value: field 19 of its stat, counted after the command's closing parenthesis.</summary>
    private static string Nice(int pid, int thread) => StatFields(File.ReadAllText($"/proc/{pid}/task/{thread}/stat"))[16];

    private static int Parent(int pid)
    {
        try
        {
            return int.Parse(StatFields(File.ReadAllText($"/proc/{pid}/stat"))[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>The fields after the command: state is [0], the parent [1], nice [16].</summary>
    private static string[] StatFields(string stat) => stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
}
