using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.LazyPages;

/// <summary>Where <see cref="UserfaultHandoff"/> hands each restored process's userfaultfd, and tells of a handoff that ended too soon.</summary>
internal interface IUserfaultReceiver
{
    /// <summary>Process <paramref name="pid"/> of the images, restored: its memory is filled through <paramref name="userfault"/>.</summary>
    void Received(int pid, SafeFileHandle userfault);

    /// <summary>
    /// The handoff ended before every process was handed over, and why (<paramref name="criksOwn"/>: crik's own code failed
    /// in a way nobody expected): whatever of the app runs must not wait for memory nobody serves.
    /// </summary>
    void HandoffFailed(string why, bool criksOwn);
}
