using System.Diagnostics;
using Xunit;

namespace Crik.TestSupport;

/// <summary>A C test app (tests/*/Apps) compiled with gcc, warnings as errors.</summary>
public static class CompiledApp
{
    /// <summary>Compiles <paramref name="source"/> into <paramref name="binary"/> with <paramref name="flags"/> besides -O2 -Wall -Werror; fails the test with gcc's errors.</summary>
    public static string Build(string source, string binary, params string[] flags)
    {
        using var gcc = Process.Start(new ProcessStartInfo("gcc", ["-O2", "-Wall", "-Werror", .. flags, "-o", binary, Paths.App(source)])
        {
            RedirectStandardError = true,
        })!;
        string errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        Assert.True(gcc.ExitCode == 0, $"gcc failed on {source}: {errors}");
        return binary;
    }
}
