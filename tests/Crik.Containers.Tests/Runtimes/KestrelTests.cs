using Crik.Containers.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Containers.Tests.Runtimes;

public sealed class KestrelTests : IDisposable
{
    private readonly TempDirectory _published = new();

    /// <summary>
    /// An ASP.NET Core minimal API with its defaults, working directory its own folder (as the .NET
    /// images set WORKDIR): its configuration file watcher must come back too.
    /// </summary>
    [ContainerFact]
    public async Task KestrelAppKeepsItsCountAcrossNewContainers()
    {
        string project = Path.Combine(Paths.RepositoryRoot, "tests", "Crik.Containers.Tests", "Apps", "kestrel-counter", "KestrelCounter.csproj");
        HostCommand.MustRun("dotnet", "publish", project, "-c", "Release", "-r", "linux-x64", "--self-contained",
            "-nologo", "-v", "quiet", "-o", _published.Path);
        // The .NET runtime reserves a 256 GiB area, which CRIU maps writable before a lazy restore fills it: on a node
        // without overcommit (vm.overcommit_memory 0, as here) crik restores such an app with all its memory first, and says why.
        bool overcommits = File.ReadAllText("/proc/sys/vm/overcommit_memory").Trim() == "1";
        using var set = new StatefulSet { LazyRestore = overcommits, ExtraConfig = overcommits ? "" : "lazyRestore: on\n" };
        await set.ThreePodsAsync(["/kestrel/KestrelCounter"], async (pod, number) =>
        {
            pod.WaitForPort(8080);
            await pod.WaitForHttpAsync(8080);
            for (int hit = (2 * number) - 1; hit <= 2 * number; hit++)
            {
                await pod.ExpectAsync(8080, $"hits {hit}");
            }
            if (number > 1 && !overcommits)
            {
                Assert.Matches(@"not lazily: the app has a [\d.]+ GiB memory area, more than this node lets CRIU map writable", pod.Logs);
            }
        }, "-v", $"{_published.Path}:/kestrel:ro", "-w", "/kestrel");
    }

    public void Dispose() => _published.Dispose();
}
