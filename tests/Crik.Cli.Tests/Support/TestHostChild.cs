using Crik.Cli.Processes;

namespace Crik.Cli.Tests.Support;

/// <summary>
/// A child of the test host, as <see cref="AppTree"/> signals it. The host's runtime reaps it, not a ChildReaper, so nothing
/// guards its PID: the tests that use this signal it only while it runs, and reap it last.
/// </summary>
internal sealed class TestHostChild(int pid) : IGuardedPid
{
    public int Pid => pid;

    public bool WhileItsOwn(Action act)
    {
        act();
        return true;
    }
}
