using Crik.Containers.Tests.Support;
using Crik.TestSupport;

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
        using var set = new StatefulSet { LazyRestore = true };
        await set.HitCounterInThreePodsAsync(["/kestrel/KestrelCounter"], hit => $"hits {hit}",
            "-v", $"{_published.Path}:/kestrel:ro", "-w", "/kestrel");
    }

    public void Dispose() => _published.Dispose();
}
