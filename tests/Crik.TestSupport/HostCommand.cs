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
