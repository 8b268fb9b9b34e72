using System.Reflection;
using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Layering;

/// <summary>The same layering, checked on the compiled assembly, where no <c>global using</c> or qualified name can hide an arrow.</summary>
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TrimmingAside.Why)]
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2070", Justification = TrimmingAside.Why)]
public sealed partial class LayeringTests
{
    [Fact]
    public void NoArrowInTheCompiledCodePointsUp()
    {
        List<string> upward = UpwardArrows(typeof(Retirement).Assembly).ToList();
        Assert.True(upward.Count == 0, "arrows that point up the layers in the compiled code (docs/architecture.md):\n" + string.Join("\n", upward));
    }

    /// <summary>Each type of <paramref name="assembly"/> that uses a type of a layer above its own, one line per pair.</summary>
    internal static IEnumerable<string> UpwardArrows(Assembly assembly) =>
        assembly.GetTypes()
            .Where(type => CompiledCode.FolderOf(type) is { } folder && LayerOf.ContainsKey(folder))
            .SelectMany(type => CompiledCode.UsesOf(type)
                .SelectMany(use => CompiledCode.TypesNamedBy(use.What))
                .Where(used => CompiledCode.FolderOf(used) is { } target && LayerOf.TryGetValue(target, out int layer)
                    && layer < LayerOf[CompiledCode.FolderOf(type)!])
                .Select(used => $"{type.FullName} ({Shown(CompiledCode.FolderOf(type)!)}) -> {used.FullName} ({Shown(CompiledCode.FolderOf(used)!)})"))
            .Distinct();

    private static string Shown(string folder) => folder == "" ? "(root)" : folder;
}
