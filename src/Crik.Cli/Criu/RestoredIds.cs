namespace Crik.Cli.Criu;

/// <summary>What a dumped tree's restore gives back: its root's PID, and every process's and thread's ID.</summary>
internal sealed record RestoredIds(int Root, IReadOnlyList<int> All);
