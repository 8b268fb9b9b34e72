using Crik.Cli.Interop;

namespace Crik.Cli.LazyPages;

/// <summary>
/// What the events thread (<see cref="FaultServer"/>) does with the messages of a process's userfaultfd that reach past the
/// process's own areas (an unmap or a dropped range the task handles itself). Each is handed over under the task's lock
/// (<see cref="LazyTask.ReadEvents"/>), so that no copy looks at the areas between the message's read and its handling.
/// </summary>
internal interface IUserfaultEvents
{
    /// <summary>A thread of the process waits for the page at <paramref name="page"/>.</summary>
    void Faulted(LazyTask task, ulong page);

    /// <summary>A fault that got no zero page while an event was unread, served again (<see cref="LazyTask.RetryFault"/>).</summary>
    void FaultedAgain(LazyTask task, ulong page);

    /// <summary>The process forked: its child is filled through <paramref name="child"/>.</summary>
    void Forked(LazyTask parent, UserfaultFile child);

    /// <summary>The process moved memory with mremap: from, to, and the length the event says.</summary>
    void Remapped(LazyTask task, ulong from, ulong to, ulong length);
}
