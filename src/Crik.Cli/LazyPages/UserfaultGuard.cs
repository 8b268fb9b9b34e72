using System.Globalization;
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
    private const string EpollLink = "anon_inode:[eventpoll]";

    private readonly int _daemon;
    private readonly SafeFileHandle? _pidfd;
    private readonly Dictionary<ulong, SafeFileHandle> _copies = [];

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

    /// <summary>
    /// Copies the daemon's new userfaultfds and closes the copies of those it closed. Safe from several
    /// threads. A userfaultfd is known by its inode, not its number: the daemon reuses the number of
    /// one it closed for the next child the app forks.
    /// </summary>
    public void Refresh()
    {
        if (_pidfd is null)
        {
            return;
        }
        List<(int Fd, string Target)> descriptors = ProcessDescriptors.Of(_daemon);
        // A daemon that has died lists no descriptors (a zombie holds none): that is when the copies
        // matter most, so they stay until the caller, having killed the app, disposes this. A live
        // daemon always lists some, so none listed is a listing that failed: nothing is let go on it.
        if (descriptors.Count == 0 || !StillRuns())
        {
            return;
        }
        var now = new Dictionary<ulong, int>();
        foreach ((int fd, string target) in descriptors)
        {
            if (target == UserfaultLink && InodeOf($"/proc/{_daemon}/fd/{fd}") is { } inode)
            {
                now[inode] = fd;
            }
        }
        lock (_copies)
        {
            foreach (ulong inode in _copies.Keys.Where(i => !now.ContainsKey(i)).ToList())
            {
                _copies.Remove(inode, out SafeFileHandle? copy);
                copy!.Dispose();
            }
            foreach ((ulong inode, int fd) in now.Where(u => !_copies.ContainsKey(u.Key)))
            {
                if (Userfault.CopyDescriptor(_pidfd, fd) is not { } copy)
                {
                    continue;
                }
                if (FileStatus.Read((int)copy.DangerousGetHandle()).Inode == inode)
                {
                    _copies[inode] = copy;
                }
                else
                {
                    copy.Dispose(); // the number was reused between the listing and the copy
                }
            }
        }
    }

    /// <summary>
    /// Whether the daemon has taken every userfaultfd the restore sent it: it watches its page-server
    /// socket (<paramref name="pageServerFd"/>) only once it has received them all. The restore sends
    /// them into a socket without waiting for them to be taken, so it can end before this is true.
    /// </summary>
    public bool DaemonHasTakenAll(int pageServerFd)
    {
        foreach ((int fd, string target) in ProcessDescriptors.Of(_daemon))
        {
            if (target == EpollLink && ProcFiles.Lines($"/proc/{_daemon}/fdinfo/{fd}").Any(l => WatchedFd(l) == pageServerFd))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The descriptor an epoll fdinfo line ("tfd:        3 events: ...") says is watched, or -1.</summary>
    private static int WatchedFd(string line) =>
        line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries) is ["tfd:", string number, ..]
            && int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out int fd)
            ? fd : -1;

    private static ulong? InodeOf(string path)
    {
        try
        {
            return FileStatus.TryRead(path, followLinks: true)?.Inode;
        }
        catch (IOException)
        {
            return null;
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
