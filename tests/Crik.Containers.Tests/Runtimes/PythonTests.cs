using Crik.Containers.Tests.Support;

namespace Crik.Containers.Tests.Runtimes;

public class PythonTests
{
    [ContainerFact]
    public async Task PythonServiceKeepsItsLogTmpAndShmFilesAndItsCountAcrossNewContainers()
    {
        using var set = new StatefulSet { LazyRestore = true };
        await set.HitCounterInThreePodsAsync(["python3", "/apps/python-service.py"], hit => $"hits {hit} log {hit} tmp {hit} shm {hit}");
    }
}
