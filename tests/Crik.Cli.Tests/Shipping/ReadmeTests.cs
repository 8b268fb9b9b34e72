using System.Text.RegularExpressions;
using Crik.Cli.Configuration;
using Crik.Cli.Supervision;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Shipping;

/// <summary>
/// README.md is a short landing page; the reference in docs/ documents everything crik accepts; and every
/// relative link in README.md and docs/*.md leads to a file and heading that exist.
/// </summary>
public partial class ReadmeTests
{
    private static readonly string Readme = Read("README.md");
    private static readonly string Configuration = Read("docs/configuration.md");
    private static readonly string Commands = Read("docs/commands.md");

    public static TheoryData<string> Keys() => new(ConfigKeys.All);

    [Theory]
    [MemberData(nameof(Keys))]
    public void EveryConfigurationKeyHasARowInTheReference(string key) =>
        Assert.Contains($"| `{key}`", Configuration, StringComparison.Ordinal);

    [Theory]
    [InlineData("--config")]
    [InlineData("--log-level")]
    [InlineData("--log-format")]
    [InlineData("CRIK_CONFIG")]
    [InlineData("KUBERNETES_NODE_NAME")]
    public void EveryFlagAndVariableIsDocumented(string name) =>
        Assert.Contains($"`{name}", Commands, StringComparison.Ordinal);

    [Theory]
    [InlineData(ExitCodes.Checkpointed)]
    [InlineData(ExitCodes.UsageError)]
    [InlineData(ExitCodes.CrikFailure)]
    [InlineData(ExitCodes.CommandNotExecutable)]
    [InlineData(ExitCodes.CommandNotFound)]
    public void EveryExitCodeCrikChoosesIsDocumented(int code) =>
        Assert.Contains($"| {code} |", Commands, StringComparison.Ordinal);

    [Fact]
    public void StartsWithTheDemoAndTestCommands()
    {
        // The first fenced block, before any other section, holds the two commands, written without sudo
        // so that they work as they are where root has none (a fresh Debian container).
        string top = Readme[..Readme.IndexOf("\n## ", StringComparison.Ordinal)];
        string[] parts = top.Split("```");
        string firstBlock = parts[1];
        Assert.Contains("\nbash scripts/demo.sh", firstBlock, StringComparison.Ordinal);
        Assert.Contains("\nbash scripts/test.sh", firstBlock, StringComparison.Ordinal);
        Assert.DoesNotContain("sudo", firstBlock, StringComparison.Ordinal);
        Assert.Contains("As root (prefix `sudo` otherwise)", parts[0], StringComparison.Ordinal);
        Assert.Contains("scripts/test.sh", Read(".ci/run"), StringComparison.Ordinal);
    }

    [Fact]
    public void ReadmeIsAtMost250Lines() =>
        Assert.InRange(File.ReadAllLines(Path.Combine(Paths.RepositoryRoot, "README.md")).Length, 1, 250);

    /// <summary>README.md and every docs/*.md, as paths relative to the repository.</summary>
    public static TheoryData<string> Documents() =>
        new(["README.md", .. Directory.GetFiles(Path.Combine(Paths.RepositoryRoot, "docs"), "*.md")
            .Select(f => "docs/" + Path.GetFileName(f)).Order(StringComparer.Ordinal)]);

    [Theory]
    [MemberData(nameof(Documents))]
    public void EveryRelativeLinkResolves(string document)
    {
        string path = Path.Combine(Paths.RepositoryRoot, document);
        string directory = Path.GetDirectoryName(path)!;
        var broken = new List<string>();
        foreach (Match link in Link().Matches(OutsideCodeBlocks(File.ReadAllText(path))))
        {
            string target = link.Groups[1].Value;
            if (Scheme().IsMatch(target))
            {
                continue;
            }
            int hash = target.IndexOf('#', StringComparison.Ordinal);
            string file = hash < 0 ? target : target[..hash];
            string anchor = hash < 0 ? "" : target[(hash + 1)..];
            string resolved = file.Length == 0 ? path : Path.GetFullPath(Path.Combine(directory, file));
            if (!File.Exists(resolved) && !Directory.Exists(resolved))
            {
                broken.Add($"{target}: no such file");
            }
            else if (anchor.Length > 0 && !Anchors(File.ReadAllText(resolved)).Contains(anchor))
            {
                broken.Add($"{target}: no such heading");
            }
        }
        Assert.Empty(broken);
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void EveryDocumentIsLinkedFromTheReadme(string document) =>
        Assert.True(document == "README.md" || Readme.Contains($"]({document}", StringComparison.Ordinal), document);

    /// <summary>The anchors GitHub gives a Markdown file's headings: lower case, punctuation removed, spaces as dashes.</summary>
    private static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match heading in Heading().Matches(OutsideCodeBlocks(markdown)))
        {
            string slug = string.Concat(heading.Groups[1].Value.Trim().Select(char.ToLowerInvariant));
            slug = NotInAnchor().Replace(slug, "").Replace(' ', '-');
            string unique = slug;
            for (int n = 1; !anchors.Add(unique); n++)
            {
                unique = $"{slug}-{n}";
            }
        }
        return anchors;
    }

    private static string OutsideCodeBlocks(string markdown) => CodeBlock().Replace(markdown, "");

    private static string Read(string relativePath) => File.ReadAllText(Path.Combine(Paths.RepositoryRoot, relativePath));

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^[a-zA-Z][a-zA-Z0-9+.-]*:")]
    private static partial Regex Scheme();

    [GeneratedRegex(@"^#{1,6} (.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\w\- ]")]
    private static partial Regex NotInAnchor();

    [GeneratedRegex(@"^```.*?^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
