using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Layering;

/// <summary>
/// Each class owns its state, in one place: none holds more than <see cref="MostFields"/> instance fields (the
/// parameters its primary constructor keeps and the backing fields of its properties included), and none outside
/// Interop/ is split over several partial files, whose parts would share its fields across files. No type outside
/// Interop/ and the guard keeps a delegate (a field, a property, an event, a parameter its primary constructor keeps): what a
/// delegate does is known only where it was made, so a collaborator is a named interface or object instead.
/// </summary>
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TrimmingAside.Why)]
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2070", Justification = TrimmingAside.Why)]
public sealed partial class ClassShapeTests
{
    private const int MostFields = 10;


    [Fact]
    [Trait("Category", "Unit")]
    public void NoClassHoldsMoreThanTenInstanceFields()
    {
        List<string> crowded = Crowded(typeof(Retirement).Assembly).ToList();
        Assert.True(crowded.Count == 0, $"classes with more than {MostFields} instance fields:\n" + string.Join("\n", crowded));
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void NoClassOutsideInteropIsSplitOverSeveralFiles()
    {
        List<string> split = SplitOverFiles().ToList();
        Assert.True(split.Count == 0, "classes split over several partial files outside Interop/:\n" + string.Join("\n", split));
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void NoTypeOutsideInteropAndTheGuardKeepsADelegate()
    {
        List<string> kept = DelegatesKept(typeof(Retirement).Assembly).ToList();
        Assert.True(kept.Count == 0, "delegates kept in fields, properties or events outside Interop/ and Guarding/:\n" + string.Join("\n", kept));
    }

    /// <summary>Each field of a delegate type in a type of the project outside Interop/ and Guarding/, as "Type.field".</summary>
    internal static IEnumerable<string> DelegatesKept(Assembly assembly) =>
        assembly.GetTypes()
            .Where(type => CompiledCode.FolderOf(type) is { } folder && folder is not ("Interop" or "Guarding") && !CompiledCode.IsCompilerMade(type)
                && !type.IsDefined(typeof(CompilerGeneratedAttribute)))
            .SelectMany(type => type.GetFields(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Where(field => typeof(Delegate).IsAssignableFrom(field.FieldType))
                .Select(field => $"{type.FullName}.{field.Name} ({field.FieldType.Name})"));

    /// <summary>
    /// Each class of the project with more than <see cref="MostFields"/> instance fields, as "Type: N (field, ...)". Records
    /// (their properties are their values) and what a source generator or the compiler made are not counted.
    /// </summary>
    internal static IEnumerable<string> Crowded(Assembly assembly) =>
        assembly.GetTypes()
            .Where(type => type.IsClass && CompiledCode.FolderOf(type) is not null && !CompiledCode.IsCompilerMade(type)
                && !type.IsDefined(typeof(CompilerGeneratedAttribute)) && !IsRecord(type) && !typeof(JsonSerializerContext).IsAssignableFrom(type))
            .Select(type => (type, Fields: type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)))
            .Where(t => t.Fields.Length > MostFields)
            .Select(t => $"{t.type.FullName}: {t.Fields.Length} ({string.Join(", ", t.Fields.Select(f => f.Name))})");

    /// <summary>Each class declared partial in more than one file of src/Crik.Cli outside Interop/, as "Name: file, file".</summary>
    internal static IEnumerable<string> SplitOverFiles() =>
        LayeringTests.SourceFiles()
            .Where(f => f.Folder != "Interop")
            .SelectMany(f => PartialClass().Matches(File.ReadAllText(Path.Combine(LayeringTests.SourceRoot, f.Path)))
                .Select(m => (Name: m.Groups["name"].Value, f.Path)))
            .GroupBy(d => d.Name)
            .Where(g => g.Select(d => d.Path).Distinct().Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(d => d.Path).Distinct().Order(StringComparer.Ordinal))}");

    private static bool IsRecord(Type type) =>
        type.GetMethod("<Clone>$", BindingFlags.Instance | BindingFlags.Public) is not null;

    [GeneratedRegex(@"\bpartial\s+(?:record\s+|struct\s+)?class\s+(?<name>\w+)")]
    private static partial Regex PartialClass();
}
