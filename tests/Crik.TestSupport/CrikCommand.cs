using System.Diagnostics;
using Xunit;

namespace Crik.TestSupport;

/// <summary>Runs a short crik subcommand (check, images, checkpoint) to its end, as a user would from a shell.</summary>
public static class CrikCommand
{
    public static (int Code, string Output, string Error) Run(IReadOnlyList<string> args, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(Paths.Crik) { RedirectStandardOutput = true, RedirectStandardError = true };
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
