using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Privileges;

/// <summary>crik check on this machine, as root with CRIU: what the real-container tests do not cover.</summary>
public class CheckCommandTests
{
    [CriuFact]
    public void SaysWhetherThisKernelTracksDirtyMemoryAsCriuItselfFindsIt()
    {
        bool tracks = HostCommand.Run("criu", "check", "--feature", "mem_dirty_track").ExitCode == 0;
        using var dir = new TempDirectory();
        string config = dir.Write("config.yaml", $"imageDir: {dir.Path}/images\n");
        (int code, string output) = Check("--config", config);
        Assert.True(code == 0, output);
        Assert.Contains(tracks ? "note    this kernel tracks dirty memory" : "note    this kernel does not track dirty memory", output, StringComparison.Ordinal);
        Assert.EndsWith("crik check: checkpoint and restore can work in this container", output.Trim(), StringComparison.Ordinal);
    }

    [CriuFact]
    public void WithoutAnImageDirItIsAProblemAndTheExitCodeIsOne()
    {
        using var dir = new TempDirectory();
        (int code, string output) = Check("--config", dir.Write("config.yaml", "# nothing\n"));
        Assert.Equal(1, code);
        Assert.Contains("PROBLEM no imageDir configured", output, StringComparison.Ordinal);
    }

    /// <summary>What crik run refuses at start, crik check refuses with the same line and exit code. Before, it said "can work".</summary>
    [CriuFact]
    public void AKeyFileThatIsNotThereIsAConfigurationErrorAsForCrikRun()
    {
        using var dir = new TempDirectory();
        string config = dir.Write("config.yaml", $"imageDir: {dir.Path}/images\nencryptionKeyFile: {dir.Path}/no-such-key\n");
        (int code, string output) = Check("--config", config);
        Assert.Equal(2, code);
        Assert.StartsWith("crik: error: ", output, StringComparison.Ordinal);
        Assert.Contains("no-such-key", output, StringComparison.Ordinal);
        (int runCode, _, string runError) = CrikCommand.Run(["run", "--config", config, "--", "true"]);
        Assert.Equal(2, runCode);
        Assert.Equal(runError.Trim(), output.Trim());
    }

    private static (int Code, string Output) Check(params string[] args)
    {
        (int code, string output, string error) = CrikCommand.Run(["check", .. args]);
        return (code, output + error);
    }
}
