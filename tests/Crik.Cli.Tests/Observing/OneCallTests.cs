using System.Reflection;
using Crik.Cli.Observing;
using Crik.Cli.Tests.Layering;
using Xunit;

namespace Crik.Cli.Tests.Observing;

/// <summary>
/// Outside Observing/, a moment is published by the call that logs it (<see cref="LoggedHappenings"/>), or by
/// <see cref="LoggedHappenings.WithoutLine"/>, which names a moment whose line is elsewhere: never by
/// <see cref="Happenings.Publish"/> itself. Checked on the compiled code, as the layering is.
/// </summary>
[Trait("Category", "Unit")]
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TrimmingAside.Why)]
public sealed class OneCallTests
{
    [Fact]
    public void NoCodeOutsideObservingPublishesAMomentByHand()
    {
        List<string> found = DirectPublishes(typeof(Happenings).Assembly).ToList();
        Assert.True(found.Count == 0, "moments published without their line: log them with LoggedHappenings (or WithoutLine, saying where the line is):\n"
            + string.Join("\n", found));
    }

    [Fact]
    public void ADirectPublishOutsideObservingIsFoundAndOneInsideIsNot()
    {
        Assembly example = ExampleAssembly.Compile("""
            namespace Crik.Cli.Observing
            {
                public static class Happenings { public static void Publish(object happening) { } }
                public static class LoggedHappenings { public static void WithoutLine(object happening) => Happenings.Publish(happening); }
            }
            namespace Crik.Cli.Restoring
            {
                public static class Restorer
                {
                    public static void Restored() => Crik.Cli.Observing.Happenings.Publish("restored");
                    public static void Gone() => Crik.Cli.Observing.LoggedHappenings.WithoutLine("gone");
                }
            }
            """);

        Assert.Equal(["Crik.Cli.Restoring.Restorer.Restored"], DirectPublishes(example));
    }

    /// <summary>Each method outside Observing/ whose code calls <c>Happenings.Publish</c>.</summary>
    private static IEnumerable<string> DirectPublishes(Assembly assembly) =>
        assembly.GetTypes()
            .Where(type => CompiledCode.FolderOf(type) is { } folder && folder != "Observing")
            .SelectMany(type => CompiledCode.UsesOf(type)
                .Where(use => use.What is MethodInfo { Name: nameof(Happenings.Publish), DeclaringType.FullName: "Crik.Cli.Observing.Happenings" })
                .Select(use => $"{type.FullName}.{use.In?.Name}"))
            .Distinct();
}
