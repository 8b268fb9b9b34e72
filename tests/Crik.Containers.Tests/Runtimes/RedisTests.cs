using Crik.Containers.Tests.Support;
using Xunit;

namespace Crik.Containers.Tests.Runtimes;

public class RedisTests
{
    /// <summary>No persistence at all: the data lives only in redis's memory, which the checkpoint carries.</summary>
    [ContainerFact]
    public async Task RedisKeepsItsInMemoryDataAcrossNewContainers()
    {
        using var set = new StatefulSet { LazyRestore = true };
        string[] redis = ["redis-server", "--save", "", "--appendonly", "no", "--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/tmp"];
        // Five pods, each with a BGSAVE: a child forked after each restore, whose ID the next restore must not meet.
        await set.PodsAsync(5, redis, (pod, number) =>
        {
            pod.WaitForPort(6379);
            Assert.Equal($":{number}", pod.Resp(6379, "INCR", "pods"));
            Assert.Equal(number == 1 ? "$-1" : "$5", pod.Resp(6379, "GET", "greeting"));
            Assert.Equal("+OK", pod.Resp(6379, "SET", "greeting", "hello"));
            Assert.StartsWith("+Background saving started", pod.Resp(6379, "BGSAVE"), StringComparison.Ordinal);
            return Task.CompletedTask;
        });
    }
}
