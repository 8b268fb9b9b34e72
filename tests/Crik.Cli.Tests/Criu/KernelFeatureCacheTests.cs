using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Criu;

/// <summary>
/// CRIU keeps what it found of the kernel only on a tmpfs /run, which a container's seldom is: crik has it
/// worked out once as it starts and kept at /run/criu.kdat, and the checkpoint's criu dump reads it there.
/// </summary>
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
}
