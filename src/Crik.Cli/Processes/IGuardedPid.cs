namespace Crik.Cli.Processes;

/// <summary>
/// A child of crik's that is signalled by its PID. The number, and the process group it names, are the child's only until crik
/// reaps it; after that another process may have them.
/// </summary>
internal interface IGuardedPid
{
    int Pid { get; }

    /// <summary>
    /// Runs <paramref name="act"/> (quick work: a look at /proc, signals) only while the PID is still the child's, and keeps it
    /// so until <paramref name="act"/> returns. False when the child is reaped already.
    /// </summary>
    bool WhileItsOwn(Action act);
}
