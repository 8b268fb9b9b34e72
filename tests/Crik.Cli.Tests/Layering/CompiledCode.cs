using System.Reflection;
using System.Reflection.Emit;

namespace Crik.Cli.Tests.Layering;

/// <summary>
/// What compiled code names, read from its IL: a type's base and interfaces, the types of its fields,
/// methods and locals, and every type, method and field its method bodies use. Unlike a scan of the
/// source, this sees through <c>global using</c>, aliases and qualified names, and it sees P/Invoke.
/// </summary>
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TrimmingAside.Why)]
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2070", Justification = TrimmingAside.Why)]
internal static class CompiledCode
{
    private const BindingFlags Declared =
        BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    private static readonly Dictionary<short, OperandType> OperandOf = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value, o => o.OperandType);

    /// <summary>The project folder a type's code is in (the namespace below Crik.Cli, "" for Crik.Cli and Program), or null when it is not the project's.</summary>
    public static string? FolderOf(Type type)
    {
        string? ns = Outermost(type).Namespace;
        return ns is null ? (Outermost(type).Name.StartsWith('<') ? null : "")
            : ns == "Crik.Cli" ? ""
            : ns.StartsWith("Crik.Cli.", StringComparison.Ordinal) ? ns["Crik.Cli.".Length..].Split('.')[0]
            : null;
    }

    /// <summary>A type the compiler made up for an assembly (&lt;PrivateImplementationDetails&gt;, inline arrays), in no namespace.</summary>
    public static bool IsCompilerMade(Type type) => Outermost(type) is { Namespace: null } outer && outer.Name.StartsWith('<');

    /// <summary>Methods and constructors a type declares, static constructor included.</summary>
    public static IEnumerable<MethodBase> MethodsOf(Type type) =>
        type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared));

    /// <summary>What a type declares as native: P/Invoke or runtime-internal methods, or a call through a function pointer.</summary>
    public static bool IsNative(MethodBase method) =>
        method.Attributes.HasFlag(MethodAttributes.PinvokeImpl)
        || method.MethodImplementationFlags.HasFlag(MethodImplAttributes.InternalCall)
        || (method.GetMethodBody()?.GetILAsByteArray() is { } il && Instructions(il).Any(i => i.Code == OpCodes.Calli.Value));

    /// <summary>Everything the type's own code uses (its nested types are types of their own), with the method that uses it, if any.</summary>
    public static IEnumerable<(MethodBase? In, MemberInfo What)> UsesOf(Type type)
    {
        IEnumerable<Type> declared = [.. type.BaseType is { } baseType ? [baseType] : Array.Empty<Type>(), .. type.GetInterfaces(),
            .. type.GetFields(Declared).Select(f => f.FieldType)];
        return declared.Select(t => ((MethodBase?)null, (MemberInfo)t))
            .Concat(MethodsOf(type).SelectMany(m => UsesOf(m).Select(what => ((MethodBase?)m, what))));
    }

    /// <summary>What a method's signature, locals and body use.</summary>
    public static IEnumerable<MemberInfo> UsesOf(MethodBase method)
    {
        if (method is MethodInfo { ReturnType: var returned })
        {
            yield return returned;
        }
        foreach (ParameterInfo parameter in method.GetParameters())
        {
            yield return parameter.ParameterType;
        }
        if (method.GetMethodBody() is not { } body)
        {
            yield break;
        }
        foreach (LocalVariableInfo local in body.LocalVariables)
        {
            yield return local.LocalType;
        }
        Type[]? typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        foreach ((short _, int? token) in Instructions(body.GetILAsByteArray()!))
        {
            if (token is { } named)
            {
                yield return method.Module.ResolveMember(named, typeArguments, methodArguments)!;
            }
        }
    }

    /// <summary>The types a use names: a type and its type arguments; a method's or field's type, and its own.</summary>
    public static IEnumerable<Type> TypesNamedBy(MemberInfo what) => what switch
    {
        Type type => Expand(type),
        FieldInfo field => Expand(field.DeclaringType!).Concat(Expand(field.FieldType)),
        MethodInfo { IsGenericMethod: true } method => Expand(method.DeclaringType!).Concat(method.GetGenericArguments().SelectMany(Expand)),
        _ => what.DeclaringType is { } declaring ? Expand(declaring) : [],
    };

    private static IEnumerable<Type> Expand(Type type) =>
        type.HasElementType ? Expand(type.GetElementType()!)
        : type.IsGenericParameter ? []
        : type.IsConstructedGenericType ? [type.GetGenericTypeDefinition(), .. type.GetGenericArguments().SelectMany(Expand)]
        : [type];

    private static Type Outermost(Type type) => type.DeclaringType is { } outer && !type.IsGenericParameter ? Outermost(outer) : type;

    /// <summary>Each IL instruction's opcode, with its metadata token when its operand is one (a string's excepted).</summary>
    private static IEnumerable<(short Code, int? Token)> Instructions(byte[] il)
    {
        for (int at = 0; at < il.Length;)
        {
            short code = il[at] == 0xFE ? unchecked((short)(0xFE00 | il[at + 1])) : il[at];
            at += il[at] == 0xFE ? 2 : 1;
            OperandType operand = OperandOf[code];
            bool token = operand is OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType;
            yield return (code, token ? BitConverter.ToInt32(il, at) : null);
            at += operand switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, at)),
                _ => 4,
            };
        }
    }
}

/// <summary>Why reading IL through reflection is safe here, where the trimming analyzer cannot know it.</summary>
internal static class TrimmingAside
{
    public const string Why = "The tests run on the JIT and are never trimmed: the assemblies they read are whole.";
}
