using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Crik.Cli.Tests.Layering;

/// <summary>Small example sources compiled in memory, to show that the checks on compiled code catch what they are meant to.</summary>
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TrimmingAside.Why)]
internal static class ExampleAssembly
{
    private static readonly MetadataReference[] Framework = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
        .Split(Path.PathSeparator).Select(path => (MetadataReference)MetadataReference.CreateFromFile(path)).ToArray();

    /// <summary>The assembly the sources make, loaded in a context of its own; each source is one file.</summary>
    public static Assembly Compile(params string[] sources)
    {
        CSharpCompilation compilation = CSharpCompilation.Create($"Example{Guid.NewGuid():N}",
            sources.Select(source => CSharpSyntaxTree.ParseText(source)), Framework,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        image.Position = 0;
        return new AssemblyLoadContext(compilation.AssemblyName, isCollectible: true).LoadFromStream(image);
    }
}
