using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Holds a copy of every userfaultfd CRIU's lazy-pages daemon holds for the app. The kernel lets go
/// of a restored app's missing memory when the last descriptor of its userfaultfd closes, and the app
/// then reads zeros where its pages never arrived. With crik's copy open, a daemon that dies leaves the
/// app blocked on its next missing page instead, until crik kills it. A copy is closed as soon as the
/// daemon closes its own (that task's memory is all in), so the app never waits on a finished one.
/// </summary>
internal sealed class UserfaultGuard : IDisposable
{
    private const string UserfaultLink = "anon_inode:[userfaultfd]";

    private readonly int _daemon;
    private readonly SafeFileHandle? _pidfd;
    private readonly Dictionary<int, SafeFileHandle> _copies = [];

    public UserfaultGuard(int daemonPid)
    {
        _daemon = daemonPid;
        _pidfd = Userfault.OpenPid(daemonPid);
    }

    /// <summary>How many of the daemon's userfaultfds crik holds now.</summary>
    public int Held
    {
        get
        {
            lock (_copies)
            {
                return _copies.Count;
            }
        }
    }

    /// <summary>Copies the daemon's new userfaultfds and closes the copies of those it closed. Safe from several threads.</summary>
    public void Refresh()
    {
        if (_pidfd is null)
        {
            return;
        }
        var now = ProcessDescriptors.Of(_daemon).Where(d => d.Target == UserfaultLink).Select(d => d.Fd).ToHashSet();
        // A daemon that has died lists no descriptors (a zombie holds none): that is when the copies
        // matter most, so they stay until the caller, having killed the app, disposes this.
        if (!StillRuns())
        {
            return;
        }
        lock (_copies)
        {
            foreach (int fd in _copies.Keys.Where(fd => !now.Contains(fd)).ToList())
            {
                _copies.Remove(fd, out SafeFileHandle? copy);
                copy!.Dispose();
            }
            foreach (int fd in now.Where(fd => !_copies.ContainsKey(fd)))
            {
                if (Userfault.CopyDescriptor(_pidfd, fd) is { } copy)
                {
                    _copies[fd] = copy;
                }
            }
        }
    }

    /// <summary>The daemon has not exited: it is neither a zombie nor gone.</summary>
    private bool StillRuns() =>
        ProcFiles.Lines($"/proc/{_daemon}/status").FirstOrDefault(l => l.StartsWith("State:", StringComparison.Ordinal)) is { } state
            && state["State:".Length..].TrimStart() is [not ('Z' or 'X'), ..];

    public void Dispose()
    {
        lock (_copies)
        {
            foreach (SafeFileHandle copy in _copies.Values)
            {
                copy.Dispose();
            }
            _copies.Clear();
        }
        _pidfd?.Dispose();
    }
}
