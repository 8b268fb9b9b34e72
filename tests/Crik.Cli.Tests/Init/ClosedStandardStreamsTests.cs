using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Init;

/// <summary>
/// crik started with some of descriptors 0-2 closed (a supervisor that closes what it does not need). Before, the runtime's
/// signal pipe took the closed ones: crik's first log line on "stderr" was read back as signals to itself, and crik and the app
/// died at once (138 for an app that exits 4); the app got closed descriptors, which its own first open would take.
/// </summary>
public sealed class ClosedStandardStreamsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-closed-fds-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [NamespaceTheory]
    [InlineData("0<&- 1>&- 2>&-")]
    [InlineData("1>&-")]
    [InlineData("2>&-")]
    [InlineData("0<&- 2>&-")]
    public void TheAppRunsWithDevNullWhereCriksDescriptorsWereClosedAndItsExitCodeComesThrough(string closing)
    {
        string seen = Path.Combine(_dir, "fds"); // through a pipe: a redirection of the shell's would be what readlink reads
        using var run = CrikRun.Start(["run", "--", "sh", "-c", $"readlink /proc/$$/fd/1 /proc/$$/fd/2 | cat > {seen}; exit 4"],
            insideNamespaces: $"exec {closing}");
        Assert.Equal(4, run.WaitForExit());
        string[] targets = File.ReadAllLines(seen);
        Assert.Equal(2, targets.Length);
        if (closing.Contains("1>&-", StringComparison.Ordinal))
        {
            Assert.Equal("/dev/null", targets[0]);
        }
        if (closing.Contains("2>&-", StringComparison.Ordinal))
        {
            Assert.Equal("/dev/null", targets[1]);
        }
        else
        {
            Assert.Contains(run.Stderr, l => l.Contains("Started sh", StringComparison.Ordinal));
        }
    }
}
