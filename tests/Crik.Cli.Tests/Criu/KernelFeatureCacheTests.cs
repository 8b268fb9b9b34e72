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
}
