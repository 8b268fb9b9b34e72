using Crik.Containers.Tests.Support;

namespace Crik.Containers.Tests.Runtimes;

public class JvmTests
{
    /// <summary>With default settings the JVM maps and locks /tmp/hsperfdata_root/PID, which a new container lacks.</summary>
    [ContainerFact]
    public async Task JvmHttpServerKeepsItsCountAcrossNewContainers()
    {
        using var set = new StatefulSet();
        await set.ThreePodsAsync(["java", "/apps/Counter.java"], async (pod, number) =>
        {
            pod.WaitForPort(8080);
            for (int hit = (2 * number) - 1; hit <= 2 * number; hit++)
            {
                await pod.ExpectAsync(8080, $"hits {hit}");
            }
        });
    }
}
