using Crik.Containers.Tests.Support;
using Crik.TestSupport;

namespace Crik.Containers.Tests.Runtimes;

/// <summary>
/// Pods with no volume: each a new container whose crik checkpoints to and restores from s3rver on
/// the host (reached over podman's bridge), as a pod that lands on another node would.
/// </summary>
public class ObjectStorageTests
{
    [ContainerFact]
    public async Task PythonServiceFollowsItsCheckpointsThroughObjectStorageAcrossNewContainersWithNoVolume()
    {
        Xunit.Assert.True(S3Server.Missing() is null, S3Server.Missing());
        using var s3 = new S3Server(address: "0.0.0.0");
        string gateway = Podman.MustRun("network", "inspect", "podman", "--format", "{{range .Subnets}}{{.Gateway}}{{end}}");
        using var set = StatefulSet.OnObjectStorage($"s3://{S3Server.Bucket}/python-service", lazyRestore: true);
        string[] environment = s3.Environment($"http://{gateway}:{s3.Port}").SelectMany(v => new[] { "-e", $"{v.Key}={v.Value}" }).ToArray();
        await set.HitCounterInThreePodsAsync(["python3", "/apps/python-service.py"], hit => $"hits {hit} log {hit} tmp {hit} shm {hit}", environment);

        // The third pod's checkpoint is in the store (s3rver keeps each object as a file named after its key).
        string[] stored = Directory.GetFiles(s3.DataDirectory, "*", SearchOption.AllDirectories);
        Xunit.Assert.Contains(stored, f => f.Contains("python-service/checkpoint-000003/manifest.json", StringComparison.Ordinal));
        Xunit.Assert.Contains(stored, f => f.Contains("python-service/packs/000003.pack", StringComparison.Ordinal));
    }
}
