using System.Reflection;

namespace Crik.Cli.Tests.Layering;

/// <summary>
/// The allowlist of a rule in Decisions/, checked on the compiled code: a rule uses only plain values
/// (the pure types of .NET below), the project's records and rules (<see cref="Folders"/>), and of
/// these only members that are pure in turn. Nothing that acts: files, processes, native calls, the
/// environment, the clock, randomness, threads, logs.
/// <para>
/// A rule takes values, never delegates: a method of Decisions/ with a parameter of a delegate type (a
/// <c>Func</c> that reads the node, say) is refused, and so is any call of a delegate (<c>Invoke</c>) in
/// Decisions/' own code, whatever the delegate: what a delegate does is known only where it is made, so the
/// caller would read the node through it, out of the check's sight. A rule may still make a delegate of its own
/// code and hand it to .NET's pure code (<c>Any(r =&gt; r.LoadFailed)</c>: a lambda the compiler turns into a
/// method of the rule, checked like the rest, and a <c>Func</c> LINQ calls): so delegate types stay on the list
/// of values, and only taking one in and calling one are refused.
/// </para>
/// </summary>
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TrimmingAside.Why)]
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2070", Justification = TrimmingAside.Why)]
internal static class PureCode
{
    /// <summary>The project's folders a rule may use; what it calls there outside Decisions/ is checked to be pure as well.</summary>
    public static readonly string[] Folders = ["Decisions", "Records", "Configuration"];

    /// <summary>
    /// Single types of other folders: Size formats a number of bytes; HostFacts is a record a manifest
    /// carries (HostFacts.Current reads the node, and calling it would be found as a call that acts).
    /// </summary>
    private static readonly string[] ProjectTypes = ["Crik.Cli.Logging.Size", "Crik.Cli.HostCompatibility.HostFacts"];

    /// <summary>Namespaces of .NET that only compute: collections, LINQ, text, numbers, and what the compiler emits for records, iterators and interpolation.</summary>
    private static readonly string[] Namespaces =
    [
        "System.Collections", "System.Collections.Generic", "System.Collections.ObjectModel", "System.Collections.Immutable",
        "System.Collections.Frozen", "System.Linq", "System.Text", "System.Text.RegularExpressions", "System.Globalization",
        "System.Numerics", "System.Buffers.Binary", "System.Runtime.CompilerServices", "System.Diagnostics.CodeAnalysis",
    ];

    /// <summary>Types of the System namespace that are values or compute on them (generic ones without their arity).</summary>
    private static readonly HashSet<string> SystemTypes =
    [
        "Object", "ValueType", "Enum", "String", "Boolean", "Char", "Byte", "SByte", "Int16", "UInt16", "Int32", "UInt32", "Int64",
        "UInt64", "Int128", "UInt128", "IntPtr", "UIntPtr", "Half", "Single", "Double", "Decimal", "Math", "MathF", "TimeSpan",
        "DateTime", "DateTimeOffset", "DateOnly", "TimeOnly", "Guid", "Nullable", "Func", "Action", "Predicate", "Comparison",
        "Converter", "Tuple", "ValueTuple", "Span", "ReadOnlySpan", "Memory", "ReadOnlyMemory", "Array", "ArraySegment", "Index",
        "Range", "StringComparison", "StringComparer", "StringSplitOptions", "MemoryExtensions", "IEquatable", "IComparable",
        "IFormattable", "IFormatProvider", "ISpanFormattable", "IDisposable", "Convert", "BitConverter", "HashCode", "Type",
        "RuntimeTypeHandle", "RuntimeFieldHandle", "FormattableString", "Attribute", "Exception",
        "ArgumentException", "ArgumentNullException", "ArgumentOutOfRangeException", "InvalidOperationException", "FormatException",
        "OverflowException", "NotSupportedException", "NotImplementedException", "MidpointRounding", "Void", "IConvertible",
    ];

    /// <summary>Single types elsewhere in .NET: the compiler fills lists made with collection expressions through the first two.</summary>
    private static readonly string[] DotnetTypes =
        ["System.Runtime.InteropServices.CollectionsMarshal", "System.Runtime.InteropServices.MemoryMarshal", "System.Diagnostics.UnreachableException"];

    /// <summary>Members of the types above that read the clock or draw random numbers.</summary>
    private static readonly HashSet<string> Acting =
    [
        "System.DateTime.get_Now", "System.DateTime.get_UtcNow", "System.DateTime.get_Today", "System.DateTimeOffset.get_Now",
        "System.DateTimeOffset.get_UtcNow", "System.Guid.NewGuid", "System.Guid.CreateVersion7",
    ];

    /// <summary>Members of other types that the compiler calls for an iterator (which thread made it), not the rule.</summary>
    private static readonly string[] CompilerCalls = ["System.Environment.get_CurrentManagedThreadId"];

    /// <summary>How each type of Decisions/ in <paramref name="assembly"/> breaks the allowlist, one line each.</summary>
    public static IEnumerable<string> Impurities(Assembly assembly)
    {
        var verdicts = new Dictionary<MethodBase, string?>();
        IEnumerable<string> found = [];
        foreach (Type rule in assembly.GetTypes().Where(t => CompiledCode.FolderOf(t) == "Decisions"))
        {
            found = found.Concat(CompiledCode.MethodsOf(rule).Where(CompiledCode.IsNative).Select(m => $"{rule.FullName}.{m.Name} is a native call"))
                .Concat(DelegatesTaken(rule)).Concat(DelegatesCalled(rule))
                .Concat(CompiledCode.UsesOf(rule).SelectMany(use => Problems(use.What, verdicts, RuleTypeAllowed)
                    .Select(problem => $"{rule.FullName}{(use.In is { } m ? "." + m.Name : "")} {problem}")));
        }
        return found.Distinct().ToList();
    }

    /// <summary>Each parameter of a delegate type of the rule's methods and constructors (a record's properties included).</summary>
    private static IEnumerable<string> DelegatesTaken(Type rule) =>
        CompiledCode.MethodsOf(rule).SelectMany(m => m.GetParameters().Where(p => IsDelegate(p.ParameterType))
            .Select(p => $"{rule.FullName}.{m.Name} takes a delegate ({p.Name}: {p.ParameterType.Name})"));

    /// <summary>Each call of a delegate in the rule's own code (Invoke, or DynamicInvoke of any delegate).</summary>
    private static IEnumerable<string> DelegatesCalled(Type rule) =>
        CompiledCode.UsesOf(rule).Where(use => use.What is MethodInfo { Name: "Invoke" or "DynamicInvoke" or "BeginInvoke", DeclaringType: { } owner } && IsDelegate(owner))
            .Select(use => $"{rule.FullName}{(use.In is { } m ? "." + m.Name : "")} calls a delegate ({use.What.DeclaringType!.Name}.{use.What.Name})");

    private static bool IsDelegate(Type type) =>
        type.HasElementType ? IsDelegate(type.GetElementType()!) : typeof(Delegate).IsAssignableFrom(type);

    private static bool RuleTypeAllowed(Type type) =>
        CompiledCode.FolderOf(type) is { } folder ? Folders.Contains(folder) || ProjectTypes.Contains(type.FullName) : IsPureDotnet(type);

    /// <summary>In code a rule calls outside Decisions/, any of the project's types may appear, as long as what is called is pure.</summary>
    private static bool CalleeTypeAllowed(Type type) => CompiledCode.FolderOf(type) is not null || IsPureDotnet(type);

    private static bool IsPureDotnet(Type type) =>
        CompiledCode.IsCompilerMade(type)
        || DotnetTypes.Contains(type.FullName)
        || type.Namespace is { } ns && (Namespaces.Contains(ns) || (ns == "System" && SystemTypes.Contains(type.Name.Split('`')[0])));

    /// <summary>What is wrong with one use: the types it names, the clock, or an impure member of the project's it calls.</summary>
    private static IEnumerable<string> Problems(MemberInfo what, Dictionary<MethodBase, string?> verdicts, Func<Type, bool> allowed)
    {
        if (what is MethodBase { DeclaringType: { } owner } method && CompilerCalls.Contains($"{owner.FullName}.{method.Name}"))
        {
            yield break;
        }
        foreach (Type type in CompiledCode.TypesNamedBy(what).Where(t => !allowed(t)))
        {
            yield return $"uses {type.FullName}";
        }
        if (what is not MethodBase callee)
        {
            yield break;
        }
        if (Acting.Contains($"{callee.DeclaringType?.FullName}.{callee.Name}"))
        {
            yield return $"reads the clock or draws a random number ({callee.DeclaringType!.Name}.{callee.Name})";
        }
        else if (CompiledCode.FolderOf(callee.DeclaringType!) is { } folder && folder != "Decisions"
            && WhyImpure(callee, verdicts) is { } why)
        {
            yield return $"calls {callee.DeclaringType!.FullName}.{callee.Name}, which {why}";
        }
    }

    /// <summary>Why a method of the project's outside Decisions/ is not pure, following what it calls in turn; null when it is pure.</summary>
    private static string? WhyImpure(MethodBase method, Dictionary<MethodBase, string?> verdicts)
    {
        if (verdicts.TryGetValue(method, out string? known))
        {
            return known;
        }
        verdicts[method] = null; // a method that calls itself is as pure as the rest of it
        string? why = CompiledCode.IsNative(method) ? "is a native call"
            : CompiledCode.UsesOf(method).SelectMany(what => Problems(what, verdicts, CalleeTypeAllowed)).FirstOrDefault();
        verdicts[method] = why;
        return why;
    }
}
