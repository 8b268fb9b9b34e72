using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Init;

/// <summary>crik as PID 1 ends with the app's exit code, as tini and dumb-init do.</summary>
public class ExitCodeTests
{
    [NamespaceTheory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(127)]
    [InlineData(254)]
    [InlineData(255)]
    public void Pid1CrikExitsWithTheAppsExitCode(int code)
    {
        using var run = CrikRun.Start(["run", "--", "sh", "-c", $"exit {code}"]);
        Assert.Equal(code, run.WaitForExit());
    }

    [NamespaceTheory]
    [InlineData(Native.SIGKILL)]
    [InlineData(Native.SIGTERM)]
    [InlineData(Native.SIGUSR1)]
    [InlineData(Native.SIGQUIT)]
    public void AppKilledBySignalGives128PlusTheSignal(int signal)
    {
        using var run = CrikRun.Start(["run", "--", "sh", "-c", $"kill -{signal} $$"]);
        Assert.Equal(128 + signal, run.WaitForExit());
    }

    [NamespaceFact]
    public void CommandNotFoundGives127WithAClearMessage()
    {
        using var run = CrikRun.Start(["run", "--", "no-such-program-crik-test"]);
        Assert.Equal(127, run.WaitForExit());
        Assert.Contains(run.Stderr, l => l.Contains("command not found: no-such-program-crik-test", StringComparison.Ordinal));
    }

    /// <summary>
    /// A script whose #! interpreter is missing, or whose #! line ends in a carriage return, fails to start with ENOENT though
    /// it is there: it is not executable (126, as a shell says "bad interpreter"), and the line says what is missing.
    /// </summary>
    [NamespaceTheory]
    [InlineData("#!/no/such/interpreter\necho hi\n", "its interpreter /no/such/interpreter (its #! line) is not")]
    [InlineData("#!/bin/sh\r\necho hi\r\n", "its #! line ends in a carriage return (Windows line endings)")]
    public void AScriptWhoseInterpreterIsMissingGives126AndSaysWhatIsMissing(string script, string expected)
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("crik-script-").FullName, "start.sh");
        try
        {
            File.WriteAllText(file, script);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using var run = CrikRun.Start(["run", "--", file]);
            Assert.Equal(126, run.WaitForExit());
            string line = Assert.Single(run.Stderr, l => l.Contains("command is not executable", StringComparison.Ordinal));
            Assert.Contains($"{file} is there, but {expected}", line, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    /// <summary>A program built for another C library: its dynamic loader (here renamed in a copy of true) is missing.</summary>
    [NamespaceFact]
    public void AProgramWhoseDynamicLoaderIsMissingGives126AndSaysSo()
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("crik-elf-").FullName, "app");
        try
        {
            byte[] program = File.ReadAllBytes("/bin/true");
            byte[] loader = System.Text.Encoding.ASCII.GetBytes("/lib64/ld-linux-x86-64.so.2");
            int at = program.AsSpan().IndexOf(loader);
            Assert.True(at > 0, "/bin/true names glibc's x86-64 loader");
            program[at + loader.Length - 1] = (byte)'9';
            File.WriteAllBytes(file, program);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using var run = CrikRun.Start(["run", "--", file]);
            Assert.Equal(126, run.WaitForExit());
            Assert.Contains(run.Stderr, l => l.Contains($"{file} is there, but its dynamic loader is not", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    [NamespaceFact]
    public void CommandNotExecutableGives126WithAClearMessage()
    {
        string file = Path.GetTempFileName();
        try
        {
            using var run = CrikRun.Start(["run", "--", file]);
            Assert.Equal(126, run.WaitForExit());
            Assert.Contains(run.Stderr, l => l.Contains($"command is not executable: {file}", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [NamespaceFact]
    public void AppExitingFirstEndsCrikAtOnceEvenWithCheckpointingConfigured()
    {
        string imageDir = Directory.CreateTempSubdirectory("crik-test-").FullName;
        string config = Path.Combine(imageDir, "config.yaml");
        File.WriteAllText(config, $"imageDir: {imageDir}/images\n");
        try
        {
            using var run = CrikRun.Start(["run", "--config", config, "--", "sh", "-c", "exit 7"]);
            Assert.Equal(7, run.WaitForExit(TimeSpan.FromSeconds(10)));
        }
        finally
        {
            Directory.Delete(imageDir, recursive: true);
        }
    }

    [Fact]
    public void UnusableImageDirIsWaitedForAndThenExit125WithoutStartingTheApp()
    {
        string dir = Directory.CreateTempSubdirectory("crik-test-").FullName;
        try
        {
            string config = Path.Combine(dir, "config.yaml");
            File.WriteAllText(config, "imageDir: /proc/crik-cannot-be-here\nlockWait: 1s\n");
            using var run = CrikRun.Start(["run", "--config", config, "--", "sh", "-c", "echo app-ran; exit 6"], asPid1: false);
            Assert.Equal(125, run.WaitForExit());
            Assert.DoesNotContain("app-ran", run.Stdout);
            Assert.Contains("could not tell within lockWait (1 s) whether /proc/crik-cannot-be-here holds a checkpoint",
                Assert.Single(run.Stderr, l => l.Contains(" ERR ", StringComparison.Ordinal)), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void NotAsPid1CrikStillExitsWithTheAppsExitCode()
    {
        using var run = CrikRun.Start(["run", "--", "sh", "-c", "exit 42"], asPid1: false);
        Assert.Equal(42, run.WaitForExit());
    }

    [Fact]
    public void NotAsPid1CommandNotFoundGives127()
    {
        using var run = CrikRun.Start(["run", "--", "no-such-program-crik-test"], asPid1: false);
        Assert.Equal(127, run.WaitForExit());
    }
}
