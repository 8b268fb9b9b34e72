namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>
/// Test classes whose pods are killed mid-dump (each leaves its scratch directory in /tmp, as a node
/// lost mid-checkpoint would), or that make restore scratch of their own, run one after another, so
/// that a test that checks crik leaves no scratch behind does not count another class's.
/// </summary>
[Xunit.CollectionDefinition(Name)]
public sealed class PodsKilledMidDump
{
    public const string Name = "pods killed mid-dump";
}
