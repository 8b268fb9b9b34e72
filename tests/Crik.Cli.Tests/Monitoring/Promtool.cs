using System.Diagnostics;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Monitoring;

/// <summary>Runs Prometheus' promtool (Debian's <c>prometheus</c> package) and returns what it said.</summary>
internal static class Promtool
{
    public const string Missing = "needs promtool on PATH (apt-get install prometheus; scripts/test.sh installs it as root, and CI does)";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>promtool with these arguments in this directory: its exit code and its stdout and stderr together.</summary>
    public static (int ExitCode, string Output) Run(string directory, params string[] args)
    {
        string program = Prerequisites.FindOnPath("promtool") ?? throw new InvalidOperationException(Missing);
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill();
            throw new TimeoutException($"promtool {string.Join(' ', args)} did not finish within {Timeout.TotalSeconds} s");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Runs promtool and fails the test, with promtool's output, unless it exits 0.</summary>
    public static string MustPass(string directory, params string[] args)
    {
        (int code, string output) = Run(directory, args);
        Assert.True(code == 0, $"promtool {string.Join(' ', args)} exited {code}:\n{output}");
        return output;
    }
}

/// <summary>
/// A test that runs promtool. Outside CI a machine without it skips the test with the reason; in CI
/// (CI=true) it runs, and fails with the reason, as the other prerequisites do.
/// </summary>
public sealed class PromtoolFactAttribute : FactAttribute
{
    public PromtoolFactAttribute()
    {
        if (!Prerequisites.InCi && Prerequisites.FindOnPath("promtool") is null)
        {
            Skip = Promtool.Missing;
        }
    }
}
