using Xunit;

namespace Crik.Cli.Tests.Layering;

/// <summary>
/// Each check on compiled code catches the examples it exists for, compiled in memory: a rule that
/// touches files, one that calls native code itself or through another folder, one that reads the
/// clock, one that takes or calls a delegate, a folder brought in by <c>global using</c>, and a fully qualified name
/// across the layers.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CheckExampleTests
{
    /// <summary>Folders of crik as the examples need them, with what acts in them.</summary>
    private const string Below = """
        namespace Crik.Cli.Interop
        {
            public static class Posix
            {
                [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "strsignal")]
                private static extern System.IntPtr StrSignal(int signal);
                public static string SignalName(int signal) => System.Runtime.InteropServices.Marshal.PtrToStringUTF8(StrSignal(signal));
            }
        }
        namespace Crik.Cli.Processes { public static class Reaper { public static int Reaped; } }
        namespace Crik.Cli.Supervision { public static class Supervisor { public static bool Stopping; } }
        namespace Crik.Cli.Records
        {
            public sealed record Manifest(long Generation, string[] Files)
            {
                public static Manifest Read(string path) => new(long.Parse(System.IO.File.ReadAllText(path)), []);
                public int Count => Files.Length;
            }
        }
        """;

    [Fact]
    public void ARuleThatLooksAtFilesIsFound()
    {
        string[] found = Impurities("""
            namespace Crik.Cli.Decisions;
            public static class Retirement
            {
                public static bool Retires(bool ownEnd) => ownEnd && new System.IO.FileInfo("/x").Exists && System.IO.Path.Exists("/y");
            }
            """);
        Assert.Contains("Crik.Cli.Decisions.Retirement.Retires uses System.IO.FileInfo", found);
        Assert.Contains("Crik.Cli.Decisions.Retirement.Retires uses System.IO.Path", found);
    }

    [Fact]
    public void ARuleThatCallsNativeCodeItselfOrThroughAnotherFolderIsFound()
    {
        string[] found = Impurities("""
            namespace Crik.Cli.Decisions;
            public static class AppEnd
            {
                [System.Runtime.InteropServices.DllImport("libc")]
                private static extern int getpid();
                public static string Cause(int signal) => getpid() > 1 ? "" : $"was killed by {Crik.Cli.Interop.Posix.SignalName(signal)}";
            }
            """);
        Assert.Contains("Crik.Cli.Decisions.AppEnd.getpid is a native call", found);
        Assert.Contains("Crik.Cli.Decisions.AppEnd.Cause uses Crik.Cli.Interop.Posix", found);
        Assert.Contains("Crik.Cli.Decisions.AppEnd.Cause calls Crik.Cli.Interop.Posix.SignalName, which calls Crik.Cli.Interop.Posix.StrSignal, which is a native call", found);
    }

    [Fact]
    public void ARuleThatCallsSomethingThatActsInTheModelOrReadsTheClockIsFound()
    {
        string[] found = Impurities("""
            namespace Crik.Cli.Decisions;
            public static class Newest
            {
                public static bool Stale(Crik.Cli.Records.Manifest manifest) => manifest.Count == 0 || Crik.Cli.Records.Manifest.Read("/m").Generation > 1;
                public static bool Late(System.DateTimeOffset due) => System.DateTimeOffset.UtcNow > due;
            }
            """);
        Assert.Equal(
            ["Crik.Cli.Decisions.Newest.Stale calls Crik.Cli.Records.Manifest.Read, which uses System.IO.File",
             "Crik.Cli.Decisions.Newest.Late reads the clock or draws a random number (DateTimeOffset.get_UtcNow)"],
            found);
    }

    /// <summary>
    /// A rule that takes a delegate, or calls one (one handed in, or one of its own), is found; one that hands a lambda
    /// of its own to LINQ is not (<see cref="PureCode"/> says why).
    /// </summary>
    [Fact]
    public void ARuleThatTakesOrCallsADelegateIsFound()
    {
        string[] found = Impurities("""
            using System;
            using System.Linq;
            namespace Crik.Cli.Decisions;
            public sealed record Facts(Func<bool> Userfault);
            public static class Lazy
            {
                private static readonly Func<int, int> Twice = x => x * 2;
                public static string? WhyNot(bool wanted, Func<string?> unavailable) => wanted ? unavailable() : null;
                public static int Four() => Twice(2);
                public static bool AnyEven(int[] values) => values.Any(v => v % 2 == 0) && values.Select(Doubled).Any();
                private static int Doubled(int x) => x * 2;
            }
            """);
        Assert.Contains("Crik.Cli.Decisions.Lazy.WhyNot takes a delegate (unavailable: Func`1)", found);
        Assert.Contains("Crik.Cli.Decisions.Facts..ctor takes a delegate (Userfault: Func`1)", found);
        Assert.Contains("Crik.Cli.Decisions.Lazy.WhyNot calls a delegate (Func`1.Invoke)", found);
        Assert.Contains("Crik.Cli.Decisions.Lazy.Four calls a delegate (Func`2.Invoke)", found);
        Assert.DoesNotContain(found, f => f.Contains("AnyEven", StringComparison.Ordinal)); // lambdas and a method group handed to LINQ
        Assert.All(found, f => Assert.Contains("delegate", f, StringComparison.Ordinal));
    }

    [Fact]
    public void AFolderBroughtInByAGlobalUsingIsFound()
    {
        const string rule = """
            namespace Crik.Cli.Decisions;
            public static class Stop { public static bool Now() => Supervisor.Stopping || Posix.SignalName(15) == "SIGTERM"; }
            """;
        System.Reflection.Assembly assembly = ExampleAssembly.Compile(Below, "global using Crik.Cli.Interop;\nglobal using Crik.Cli.Supervision;", rule);
        Assert.Contains("Crik.Cli.Decisions.Stop.Now uses Crik.Cli.Interop.Posix", PureCode.Impurities(assembly));
        Assert.Contains("Crik.Cli.Decisions.Stop (Decisions) -> Crik.Cli.Supervision.Supervisor (Supervision)", LayeringTests.UpwardArrows(assembly));
        Assert.Empty(LayeringTests.References(rule)); // what the source scan of the rule's file cannot see
    }

    [Fact]
    public void AFullyQualifiedNameThatPointsUpIsFound()
    {
        System.Reflection.Assembly assembly = ExampleAssembly.Compile(Below, """
            namespace Crik.Cli.Interop;
            public static class Libc { public static int Reaped() => Crik.Cli.Processes.Reaper.Reaped; }
            """);
        Assert.Equal(["Crik.Cli.Interop.Libc (Interop) -> Crik.Cli.Processes.Reaper (Processes)"], LayeringTests.UpwardArrows(assembly));
    }

    [Fact]
    public void APureRuleOfRecordsCollectionsAndTextPasses() =>
        Assert.Empty(Impurities("""
            using System;
            using System.Collections.Generic;
            using System.Linq;
            using System.Text;
            using Crik.Cli.Records;
            namespace Crik.Cli.Decisions;
            public enum Answer { Keep, Drop }
            public sealed record Verdict(Answer Answer, string Why, TimeSpan After);
            public static class Pure
            {
                public static Verdict Judge(IReadOnlyList<Manifest> manifests, TimeSpan elapsed, DateTimeOffset now)
                {
                    List<long> generations = [.. manifests.Where(m => m.Count > 0).Select(m => m.Generation).OrderDescending()];
                    var why = new StringBuilder().Append(string.Join(", ", generations)).Append($" at {now:O}");
                    Dictionary<string, int> counts = manifests.GroupBy(m => m.Files.FirstOrDefault() ?? "").ToDictionary(g => g.Key, g => g.Count());
                    return new Verdict(generations.Count > 2 && counts.Count < 3 ? Answer.Drop : Answer.Keep, why.ToString(), elapsed * 2 + TimeSpan.FromSeconds(Math.Max(1, 2)));
                }
                public static IEnumerable<int> Evens(int below) { for (int i = 0; i < below; i += 2) { yield return i; } }
            }
            """));

    private static string[] Impurities(string rule) => PureCode.Impurities(ExampleAssembly.Compile(Below, rule)).ToArray();
}
