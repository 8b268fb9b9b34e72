namespace Crik.Cli.Privileges;

/// <summary>One line of <c>crik check</c>: something that works, something that stops checkpoints, or something to know.</summary>
internal sealed record Finding(FindingKind Kind, string Text);

internal enum FindingKind
{
    Ok,
    Problem,
    Note,
}
