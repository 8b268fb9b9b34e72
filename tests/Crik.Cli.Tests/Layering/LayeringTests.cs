using System.Text.RegularExpressions;
using Xunit;

namespace Crik.Cli.Tests.Layering;

/// <summary>
/// docs/architecture.md's layering, checked on the source: a folder of src/Crik.Cli may use folders of
/// its own layer and of the layers below it, never one above. <c>using</c> directives (global ones and
/// aliases too) and qualified names (<c>Crik.Cli.ImageStore.X</c>, <c>ImageStore.X</c>) count as arrows;
/// LayeringTests.Compiled.cs checks the same on the compiled code, which nothing can hide an arrow from.
/// </summary>
[Trait("Category", "Unit")]
public sealed partial class LayeringTests
{
    /// <summary>The layers, top first; "" is the files at the project's root (Program.cs).</summary>
    internal static readonly string[][] Layers =
    [
        ["", "Commands"],
        ["Supervision"],
        ["Checkpointing", "Restoring"],
        ["ImageStore", "ObjectStorage"],
        ["Decisions"],
        ["Streaming", "LazyPages", "PreDumping", "Carrying", "WriteTracking", "Locking"],
        ["Records"],
        ["Chunks", "Criu", "Processes", "Guarding", "HostCompatibility", "Privileges", "Control", "NodeState", "Observing"],
        ["Interop", "Configuration", "Logging", "Timing"],
    ];

    internal static readonly Dictionary<string, int> LayerOf = Layers.SelectMany((folders, layer) => folders.Select(f => (f, layer)))
        .ToDictionary(x => x.f, x => x.layer);

    internal static string SourceRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Crik.slnx")))
                {
                    return Path.Combine(dir.FullName, "src", "Crik.Cli");
                }
            }
            throw new InvalidOperationException("Crik.slnx not found above the test binaries");
        }
    }

    /// <summary>Each source file with its folder (the first path segment below src/Crik.Cli, "" at the root).</summary>
    internal static IEnumerable<(string Path, string Folder)> SourceFiles() =>
        Directory.EnumerateFiles(SourceRoot, "*.cs", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(SourceRoot, p))
            .Where(p => !p.StartsWith("obj/", StringComparison.Ordinal) && !p.StartsWith("bin/", StringComparison.Ordinal))
            .Select(p => (p, p.Contains('/', StringComparison.Ordinal) ? p[..p.IndexOf('/', StringComparison.Ordinal)] : ""));

    [Fact]
    public void EveryFolderHasALayer()
    {
        List<string> unplaced = SourceFiles().Select(f => f.Folder).Distinct().Where(f => !LayerOf.ContainsKey(f)).ToList();
        Assert.True(unplaced.Count == 0, $"folders with no layer in {nameof(LayeringTests)}.{nameof(Layers)} (and docs/architecture.md): {string.Join(", ", unplaced)}");
    }

    [Fact]
    public void NoArrowPointsUp()
    {
        var upward = new List<string>();
        foreach ((string path, string folder) in SourceFiles())
        {
            if (!LayerOf.TryGetValue(folder, out int layer))
            {
                continue;
            }
            string text = File.ReadAllText(Path.Combine(SourceRoot, path));
            foreach (string target in References(text).Distinct())
            {
                if (target != folder && LayerOf.TryGetValue(target, out int targetLayer) && targetLayer < layer)
                {
                    upward.Add($"{path}: {(folder == "" ? "(root)" : folder)} -> {target}");
                }
            }
        }
        Assert.True(upward.Count == 0, "arrows that point up the layers (docs/architecture.md):\n" + string.Join("\n", upward));
    }

    [Fact]
    public void TheCheckFindsAnArrowThatPointsUp() =>
        Assert.Equal(["ImageStore", "Supervision", "Checkpointing"],
            References("using Crik.Cli.ImageStore;\nvar x = Crik.Cli.Supervision.Supervisor.X; // Restoring.Restorer is a comment\nCheckpointing.Budget b;").ToList());

    [Fact]
    public void TheCheckFindsGlobalUsingsAliasesAndGlobalQualifiedNames() =>
        Assert.Equal(["Interop", "Processes", "Supervision"],
            References("global using Crik.Cli.Interop;\nusing R = global::Crik.Cli.Processes.Reaper;\nbool b = global::Crik.Cli.Supervision.Supervisor.Stopping;").Distinct());

    /// <summary>
    /// A global using of a folder reaches every file of the project, so no scan of one file can tell
    /// which folder uses it: there are none (the check on the compiled code sees through them anyway).
    /// </summary>
    [Fact]
    public void NoFolderIsBroughtInByAGlobalUsing()
    {
        string project = Path.Combine(SourceRoot, "..", "..");
        IEnumerable<(string Path, string Text)> files = SourceFiles().Select(f => (f.Path, File.ReadAllText(Path.Combine(SourceRoot, f.Path))))
            .Append(("Crik.Cli.csproj", File.ReadAllText(Path.Combine(SourceRoot, "Crik.Cli.csproj"))))
            .Append(("Directory.Build.props", File.ReadAllText(Path.Combine(project, "Directory.Build.props"))));
        List<string> global = files.Where(f => GlobalUsingOfAFolder().IsMatch(f.Text)).Select(f => f.Path).ToList();
        Assert.True(global.Count == 0, "global usings of crik's folders (name the folder in each file instead):\n" + string.Join("\n", global));
    }

    [Fact]
    public void TheGlobalUsingCheckFindsThemInSourceAndProject()
    {
        Assert.Matches(GlobalUsingOfAFolder(), "// usings\nglobal using Crik.Cli.Interop;");
        Assert.Matches(GlobalUsingOfAFolder(), "<ItemGroup><Using Include=\"Crik.Cli.Processes\" /></ItemGroup>");
        Assert.DoesNotMatch(GlobalUsingOfAFolder(), "using Crik.Cli.Interop;\n// global using Crik.Cli.Interop;");
    }

    /// <summary>The folders a file's code names: its using directives and qualified names, comments left out.</summary>
    internal static IEnumerable<string> References(string text)
    {
        string code = string.Join('\n', text.Split('\n').Select(l => l.TrimStart().StartsWith("//", StringComparison.Ordinal) ? "" : StripTrailingComment(l)));
        foreach (Match m in UsingDirective().Matches(code))
        {
            yield return m.Groups[1].Value;
        }
        foreach (Match m in QualifiedName().Matches(code))
        {
            if (LayerOf.ContainsKey(m.Groups[1].Value))
            {
                yield return m.Groups[1].Value;
            }
        }
    }

    private static string StripTrailingComment(string line) =>
        line.IndexOf(" // ", StringComparison.Ordinal) is var at and >= 0 ? line[..at] : line;

    [GeneratedRegex(@"^(?:global )?using (?:static )?(?:\w+ = )?(?:global::)?Crik\.Cli\.([A-Za-z]+)[.;]", RegexOptions.Multiline)]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"^\s*global using (?:static )?(?:\w+ = )?(?:global::)?Crik\.Cli\b|<Using Include=""Crik\.Cli\b", RegexOptions.Multiline)]
    private static partial Regex GlobalUsingOfAFolder();

    [GeneratedRegex(@"(?<![\w.""])(?:Crik\.Cli\.)?([A-Z][A-Za-z]+)\.[A-Z]\w*")]
    private static partial Regex QualifiedName();
}
