using Crik.Containers.Tests.Support;

namespace Crik.Containers.Tests.Runtimes;

public class PythonTests
{
    [ContainerFact]
    public async Task PythonServiceKeepsItsLogTmpAndShmFilesAndItsCountAcrossNewContainers()
    {
        using var set = new StatefulSet();
        await set.ThreePodsAsync(["python3", "/apps/python-service.py"], async (pod, number) =>
        {
            pod.WaitForPort(8080);
            for (int hit = (2 * number) - 1; hit <= 2 * number; hit++)
            {
                await pod.ExpectAsync(8080, $"hits {hit} log {hit} tmp {hit} shm {hit}");
            }
        });
    }
}
