namespace Crik.Cli.Tests.Criu;

/// <summary>
/// Test classes that plant or delete files every crik on the machine shares (/run/criu.kdat and its key) run on their own,
/// after every other test: a crik another class starts meanwhile would write them again under the test's eyes.
/// </summary>
[Xunit.CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MachineWideCriuFiles
{
    public const string Name = "machine-wide CRIU files";
}
