using System.Diagnostics;
using Xunit;

namespace Crik.TestSupport;

/// <summary>Runs a short crik subcommand (check, images, checkpoint) to its end, as a user would from a shell.</summary>
public static class CrikCommand
{
    public static (int Code, string Output, string Error) Run(IReadOnlyList<string> args, IDictionary<string, string>? environment = null) =>
        Run(Paths.Crik, args, environment);

    /// <summary>Runs crik in the PID and mount namespaces of the "pod" whose PID 1 is <paramref name="crikPid"/>, as kubectl exec would.</summary>
    public static (int Code, string Output, string Error) RunInPod(int crikPid, IReadOnlyList<string> args) =>
        Run("nsenter", ["-t", crikPid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-p", "-m", "--", Paths.Crik, .. args], null);

    /// <summary>Runs crik under <paramref name="wrapper"/> (a program and its arguments, crik's path and arguments appended), as unshare or nsenter.</summary>
    public static (int Code, string Output, string Error) RunUnder(IReadOnlyList<string> wrapper, IReadOnlyList<string> args) =>
        Run(wrapper[0], [.. wrapper.Skip(1), Paths.Crik, .. args], null);

    private static (int Code, string Output, string Error) Run(string program, IReadOnlyList<string> args, IDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        using Process process = Process.Start(info)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(90)), $"crik {string.Join(' ', args)} did not finish");
        return (process.ExitCode, output, error.Result);
    }
}
