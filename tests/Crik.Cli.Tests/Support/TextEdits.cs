using System.Text.RegularExpressions;
using Xunit;

namespace Crik.Cli.Tests.Support;

/// <summary>Edits to a file's text that a test makes on purpose (a damaged manifest), failing the test when the edit changed nothing.</summary>
internal static class TextEdits
{
    /// <summary><paramref name="text"/> with every match of <paramref name="pattern"/> replaced; fails when there is none.</summary>
    public static string Changed(string text, string pattern, MatchEvaluator replacement)
    {
        string changed = Regex.Replace(text, pattern, replacement);
        Assert.NotEqual(text, changed);
        return changed;
    }
}
