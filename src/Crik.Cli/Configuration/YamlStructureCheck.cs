using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Crik.Cli.Configuration;

/// <summary>
/// Walks the YAML event stream before YamlDotNet builds its (recursive) node tree: bounds the nesting
/// depth, so a deeply nested file cannot overflow the stack; allows one document only; and rejects a
/// key repeated in one mapping, naming both lines. A key must be a plain value: YamlDotNet hashes a list or
/// mapping used as a key through everything in it, which an alias can make endless (a list holding itself)
/// or exponential; and an alias may not name a list or mapping it is inside, which would make one hold itself.
/// </summary>
internal static class YamlStructureCheck
{
    /// <summary>Far deeper than any configuration needs (it uses two levels), far from the stack's limit.</summary>
    public const int MaximumDepth = 64;

    private sealed class Collection(bool isMapping, string? anchor)
    {
        public bool IsMapping { get; } = isMapping;
        public string? Anchor { get; } = anchor;
        public bool ExpectingKey { get; set; } = true;
        public Dictionary<string, long> KeyLines { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Throws a <see cref="ConfigException"/> for a structure crik refuses; YAML syntax errors surface as <see cref="YamlException"/>.</summary>
    public static void Check(string text, string file)
    {
        var parser = new Parser(new StringReader(text));
        var open = new Stack<Collection>();
        int documents = 0;
        while (parser.MoveNext())
        {
            ParsingEvent current = parser.Current!;
            switch (current)
            {
                case DocumentStart when ++documents > 1:
                    throw new ConfigException($"{file}:{current.Start.Line}: a second YAML document starts here (---); the configuration must be one document");
                case MappingEnd or SequenceEnd:
                    open.Pop();
                    break;
                case AnchorAlias alias:
                    CheckKey(open, alias, file); // a value (or key) of its own, though YamlDotNet's events do not count it a node
                    if (open.Any(c => c.Anchor == alias.Value.Value))
                    {
                        throw new ConfigException($"{file}:{current.Start.Line}: the alias *{alias.Value} is inside the list or mapping it names, "
                            + "which would then hold itself; write the values out");
                    }
                    break;
                case NodeEvent node:
                    CheckKey(open, node, file);
                    if (node is MappingStart or SequenceStart)
                    {
                        if (open.Count >= MaximumDepth)
                        {
                            throw new ConfigException($"{file}:{current.Start.Line}: lists and mappings nest deeper than {MaximumDepth} levels; a configuration needs two");
                        }
                        open.Push(new Collection(node is MappingStart, node.Anchor.IsEmpty ? null : node.Anchor.Value));
                    }
                    break;
            }
        }
    }

    private static void CheckKey(Stack<Collection> open, ParsingEvent node, string file)
    {
        if (!open.TryPeek(out Collection? parent) || !parent.IsMapping)
        {
            return;
        }
        bool isKey = parent.ExpectingKey;
        parent.ExpectingKey = !isKey;
        if (isKey && node is AnchorAlias { Value: var alias })
        {
            throw new ConfigException($"{file}:{node.Start.Line}: a key is the alias *{alias}; write the key itself");
        }
        if (isKey && node is MappingStart or SequenceStart)
        {
            throw new ConfigException($"{file}:{node.Start.Line}: a key is a {(node is MappingStart ? "mapping" : "list")}; a key must be a plain name, such as imageDir");
        }
        if (!isKey || node is not Scalar { Value: var key })
        {
            return;
        }
        if (parent.KeyLines.TryGetValue(key, out long firstLine))
        {
            throw new ConfigException($"{file}:{node.Start.Line}: key \"{key}\" appears twice (lines {firstLine} and {node.Start.Line}); keep one of them");
        }
        parent.KeyLines[key] = node.Start.Line;
    }
}
