using System.Globalization;

namespace Crik.TestSupport;

/// <summary>
/// A cgroup of the test's own that freezes the processes moved into it, as a paused container's are (cgroup v1's freezer
/// controller, or v2's cgroup.freeze); disposed, it thaws them, moves them back to the root cgroup and goes away.
/// </summary>
public sealed class CgroupFreezer : IDisposable
{
    private const string V1 = "/sys/fs/cgroup/freezer", V2 = "/sys/fs/cgroup";

    private readonly string _dir;
    private readonly bool _v1;

    public CgroupFreezer()
    {
        _v1 = Directory.Exists(V1);
        _dir = Path.Combine(_v1 ? V1 : V2, $"crik-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
    }

    /// <summary>Null where a test can freeze processes here; otherwise why not.</summary>
    public static string? Unavailable() =>
        !Prerequisites.IsRoot ? "needs root to make a cgroup"
        : Directory.Exists(V1) || File.Exists(Path.Combine(V2, "cgroup.controllers")) ? null
        : "this machine has neither cgroup v1's freezer nor cgroup v2";

    public void Freeze(int pid)
    {
        File.WriteAllText(Path.Combine(_dir, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));
        Set(frozen: true);
        Poll.Until(() => !_v1 || File.ReadAllText(Path.Combine(_dir, "freezer.state")).Trim() == "FROZEN", $"process {pid} to freeze");
    }

    public void Thaw() => Set(frozen: false);

    public void Dispose()
    {
        Thaw();
        foreach (string pid in File.ReadAllLines(Path.Combine(_dir, "cgroup.procs")))
        {
            try
            {
                File.WriteAllText(Path.Combine(_v1 ? V1 : V2, "cgroup.procs"), pid);
            }
            catch (IOException)
            {
                // gone meanwhile
            }
        }
        Directory.Delete(_dir);
    }

    private void Set(bool frozen) =>
        File.WriteAllText(Path.Combine(_dir, _v1 ? "freezer.state" : "cgroup.freeze"), _v1 ? (frozen ? "FROZEN" : "THAWED") : (frozen ? "1" : "0"));
}

/// <summary>A test of write tracking that freezes the app (<see cref="CgroupFreezer"/>); skipped, saying why, where either cannot be done.</summary>
public sealed class WriteTrackingFreezerFactAttribute : Xunit.FactAttribute
{
    public WriteTrackingFreezerFactAttribute() => Skip = WriteTrackingFactAttribute.WhySkipped() ?? CgroupFreezer.Unavailable();
}
