using Crik.Containers.Tests.Support;

namespace Crik.Containers.Tests.Runtimes;

public class NodeTests
{
    [ContainerFact]
    public async Task NodeHttpServerKeepsItsCountAcrossNewContainers()
    {
        using var set = new StatefulSet();
        await set.ThreePodsAsync(["node", "/apps/counter.js"], async (pod, number) =>
        {
            pod.WaitForPort(8080);
            for (int hit = (2 * number) - 1; hit <= 2 * number; hit++)
            {
                await pod.ExpectAsync(8080, $"hits {hit}");
            }
        });
    }
}
