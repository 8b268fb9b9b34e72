using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// crik's CRIU reads the app's areas' flags with a BPF iterator instead of /proc/PID/smaps, whose walk of every page
/// keeps the app frozen longer the more memory it has (criu-patches/0004). Every flag CRIU keeps for an area still
/// comes back with the restore, and an area with a flag CRIU could not check against smaps is read from smaps.
/// </summary>
public sealed class AreaFlagsTests : IDisposable
{
    private const string ByIterator = "areas' flags come from a BPF iterator";
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-area-flags-").FullName;

    /// <param name="moreAreas">Areas besides the flagged ones: 3000 do not fit in one read of the iterator, which the kernel
    /// then resumes (and, on one task, never ends: the areas come in order of address, and CRIU stops at the first that does not).</param>
    [CriuTheory]
    [InlineData(0)]
    [InlineData(3000)]
    public void EveryFlagCriuKeepsIsReadWithoutSmapsAndComesBackWithTheRestore(int moreAreas)
    {
        string[] app = [CompiledApp.Build("area-flags.c", Path.Combine(_dir, "area-flags")), $"{moreAreas}"];
        using var pods = new Pods();
        List<string> before;
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("listed");
            first.WaitForLine("count 0"); // the app notices a restore from its first count on
            before = Areas(first);
            Pods.CheckpointAndStop(first);
            Assert.DoesNotContain(first.Stderr, l => l.Contains("CRIU read the app's areas' flags from", StringComparison.Ordinal));
        }
        // Each area has the flag it was given (or this kernel refused it), so a flag lost or made up shows below.
        Assert.All(before, line => Assert.Matches(@"^area (\w+): (dc|wf|dd|hg|nh|sr|rr|mg|lo|nr|gd|refused)$", line));
        Assert.True(before.Count(l => !l.EndsWith(": refused", StringComparison.Ordinal)) >= 10, string.Join('\n', before));
        string dump = pods.DumpLog(1);
        Assert.Contains(ByIterator, dump, StringComparison.Ordinal);
        Assert.DoesNotContain("come from smaps", dump, StringComparison.Ordinal);

        using CrikRun second = pods.Start(app);
        second.WaitForLine("changed 1", TimeSpan.FromSeconds(60));
        Assert.Equal(before, Areas(second));
        second.Signal(Native.SIGUSR1);
        string intact = second.WaitForLine(l => l.StartsWith("intact ", StringComparison.Ordinal));
        Assert.True(intact == "intact yes", second.Transcript);
        second.Signal(Native.SIGKILL);
    }

    /// <summary>The "area NAME: FLAGS" lines of the app's last listing.</summary>
    private static List<string> Areas(CrikRun pod) =>
        [.. pod.Stdout.Where(l => l.StartsWith("area ", StringComparison.Ordinal)).TakeLast(11)];

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
