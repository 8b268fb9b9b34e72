using System.Diagnostics;
using Xunit;

namespace Crik.TestSupport;

/// <summary>Runs a program on the test host (chattr, mount, nsenter...) and fails the test when it fails.</summary>
public static class HostCommand
{
    public static void MustRun(string program, params string[] args)
    {
        (int code, string error) = Run(program, args);
        Assert.True(code == 0, $"{program} {string.Join(' ', args)} exited {code}: {error}");
    }

    /// <summary>Runs the program, which must succeed; returns what it wrote on stdout.</summary>
    public static string Output(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(info)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} exited {process.ExitCode}: {error.GetAwaiter().GetResult()}");
        return output;
    }

    /// <summary>Runs the program; returns its exit code and what it wrote on stderr.</summary>
    public static (int ExitCode, string Error) Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(info)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error);
    }
}
