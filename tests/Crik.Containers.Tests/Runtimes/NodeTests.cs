using Crik.Containers.Tests.Support;

namespace Crik.Containers.Tests.Runtimes;

public class NodeTests
{
    [ContainerFact]
    public async Task NodeHttpServerKeepsItsCountAcrossNewContainers()
    {
        using var set = new StatefulSet { LazyRestore = true };
        await set.HitCounterInThreePodsAsync(["node", "/apps/counter.js"], hit => $"hits {hit}");
    }
}
