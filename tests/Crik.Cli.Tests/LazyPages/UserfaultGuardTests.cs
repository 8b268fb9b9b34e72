using System.Diagnostics;
using Crik.Cli.LazyPages;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// crik's hold on the userfaultfds of CRIU's lazy-pages daemon, against a stand-in daemon (a Python
/// process that opens and closes userfaultfds when told): the copies follow the daemon's userfaultfds
/// themselves, not the numbers it keeps them under.
/// </summary>
[Trait("Category", "Unit")]
public sealed class UserfaultGuardTests : IDisposable
{
    // UFFD_USER_MODE_ONLY (1) lets a process without privileges open one. Each line on stdin: "open"
    // opens one and prints its descriptor and inode, "close N" closes descriptor N.
    private const string StandIn = """
        import ctypes, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        for line in sys.stdin:
            words = line.split()
            if words[0] == "open":
                fd = libc.syscall(323, os.O_CLOEXEC | 1)
                print(fd, os.fstat(fd).st_ino, flush=True)
            else:
                os.close(int(words[1]))
                print("closed", flush=True)
        """;

    private readonly Process _daemon = Process.Start(new ProcessStartInfo("python3", ["-c", StandIn])
    {
        RedirectStandardInput = true,
        RedirectStandardOutput = true,
    })!;

    [Fact]
    public void AUserfaultfdTheDaemonOpensUnderTheNumberOfOneItClosedIsHeldInItsPlace()
    {
        using var guard = new UserfaultGuard(_daemon.Id);
        (int first, ulong firstInode) = Open();
        guard.Refresh();
        Assert.Equal([firstInode], HeldInodes());

        // A forked child's exits and the next child's userfaultfd takes the same number, between two looks.
        Tell($"close {first}");
        (int second, ulong secondInode) = Open();
        Assert.Equal(first, second);
        guard.Refresh();
        Assert.Equal([secondInode], HeldInodes());

        Tell($"close {second}");
        guard.Refresh();
        Assert.Empty(HeldInodes());
        Assert.Equal(0, guard.Held);
    }

    [Fact]
    public void ADaemonThatDiedLeavesItsUserfaultfdsHeldUntilTheGuardIsDisposed()
    {
        var guard = new UserfaultGuard(_daemon.Id);
        (_, ulong inode) = Open();
        guard.Refresh();
        _daemon.Kill();
        _daemon.WaitForExit();
        guard.Refresh();
        Assert.Equal([inode], HeldInodes());
        guard.Dispose();
        Assert.Empty(HeldInodes());
    }

    public void Dispose()
    {
        if (!_daemon.HasExited)
        {
            _daemon.Kill();
            _daemon.WaitForExit();
        }
        _daemon.Dispose();
    }

    private (int Fd, ulong Inode) Open()
    {
        string[] words = Tell("open").Split(' ');
        return (int.Parse(words[0], System.Globalization.CultureInfo.InvariantCulture), ulong.Parse(words[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private string Tell(string line)
    {
        _daemon.StandardInput.WriteLine(line);
        _daemon.StandardInput.Flush();
        return _daemon.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the stand-in daemon ended");
    }

    /// <summary>The inodes of the userfaultfds this test process holds: the guard's copies.</summary>
    private static List<ulong> HeldInodes() =>
        [.. Directory.GetFiles("/proc/self/fd")
            .Where(f => new FileInfo(f).LinkTarget == "anon_inode:[userfaultfd]")
            .Select(f => Cli.Interop.FileStatus.TryRead(f, followLinks: true)?.Inode ?? 0)
            .Where(i => i != 0)];
}
