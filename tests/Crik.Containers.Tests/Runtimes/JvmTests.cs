using Crik.Containers.Tests.Support;

namespace Crik.Containers.Tests.Runtimes;

public class JvmTests
{
    /// <summary>With default settings the JVM maps and locks /tmp/hsperfdata_root/PID, which a new container lacks.</summary>
    [ContainerFact]
    public async Task JvmHttpServerKeepsItsCountAcrossNewContainers()
    {
        using var set = new StatefulSet { LazyRestore = true };
        await set.HitCounterInThreePodsAsync(["java", "/apps/Counter.java"], hit => $"hits {hit}");
    }

    /// <summary>A JVM whose thread pool grows after each restore: its new threads' IDs never meet crik's in the next container.</summary>
    [ContainerFact]
    public async Task JvmWithAGrowingThreadPoolKeepsItsCountAcrossFiveContainers()
    {
        using var set = new StatefulSet { LazyRestore = true };
        await set.HitCounterInPodsAsync(5, ["java", "/apps/PoolCounter.java"], hit => $"hits {hit}");
    }
}
