using Crik.Cli.Processes;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Processes;

/// <summary>A child's output file (criu's console output, its answers to crik's questions) holds both streams as written.</summary>
[Trait("Category", "Unit")]
public sealed class SpawnOutputTests
{
    /// <summary>Before, stdout had an open file of its own at offset 0, and wrote over what stderr had written first.</summary>
    [Fact]
    public void StdoutAndStderrLandInOneFileInTheOrderWritten()
    {
        using var dir = new TempDirectory();
        string output = Path.Combine(dir.Path, "console");
        File.WriteAllText(output, "what an earlier run left, longer than what follows it\n");
        Spawner.Spawn(new SpawnRequest(["sh", "-c", "echo first-on-stderr >&2; echo then-on-stdout; echo last-on-stderr >&2; echo done"], OutputPath: output));
        Poll.Until(() => File.ReadAllText(output).EndsWith("done\n", StringComparison.Ordinal), "the child's last line");
        Assert.Equal("first-on-stderr\nthen-on-stdout\nlast-on-stderr\ndone\n", File.ReadAllText(output));
    }
}
