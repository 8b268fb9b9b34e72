using System.Text.RegularExpressions;
using Xunit;

namespace Crik.Cli.Tests.Layering;

/// <summary>Decisions/ is pure: given what the store holds and what happened, it returns what to do, with no I/O, clock or logging.</summary>
[Trait("Category", "Unit")]
public sealed class DecisionPurityTests
{
    /// <summary>What a pure rule never names: files, processes, the clock, randomness, logs, the network, the store.</summary>
    private static readonly string[] Impure =
    [
        "System.IO", "File.", "Directory.", "Socket", "Http", "Process.", "Posix.Try", "Environment.",
        "DateTime.Now", "DateTime.UtcNow", "DateTimeOffset.Now", "DateTimeOffset.UtcNow", "Stopwatch", "Task.Delay", "Random",
        "Serilog", "ILogger", "Log.", "Console.",
    ];

    [Fact]
    public void NoDecisionDoesIoReadsTheClockOrLogs()
    {
        var found = new List<string>();
        foreach ((string path, string folder) in LayeringTests.SourceFiles().Where(f => f.Folder == "Decisions"))
        {
            string[] lines = File.ReadAllLines(Path.Combine(LayeringTests.SourceRoot, path));
            for (int i = 0; i < lines.Length; i++)
            {
                string code = lines[i].TrimStart();
                if (code.StartsWith("//", StringComparison.Ordinal))
                {
                    continue;
                }
                found.AddRange(Impure.Where(word => Regex.IsMatch(code, $@"(?<![\w.]){Regex.Escape(word)}")).Select(word => $"{path}:{i + 1}: {word}"));
            }
        }
        Assert.True(found.Count == 0, "Decisions/ must stay pure:\n" + string.Join("\n", found));
    }

    [Fact]
    public void DecisionsUseOnlyTheModelAndTheFoundation()
    {
        string[] allowed = ["Model", "Configuration", "Logging", "Interop", "Processes", "Decisions"];
        var found = LayeringTests.SourceFiles().Where(f => f.Folder == "Decisions")
            .SelectMany(f => LayeringTests.References(File.ReadAllText(Path.Combine(LayeringTests.SourceRoot, f.Path)))
                .Where(r => !allowed.Contains(r)).Select(r => $"{f.Path} -> {r}"))
            .ToList();
        Assert.True(found.Count == 0, "Decisions/ may use only " + string.Join(", ", allowed) + ":\n" + string.Join("\n", found));
    }
}
