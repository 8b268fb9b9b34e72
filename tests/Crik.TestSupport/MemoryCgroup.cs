using Xunit;

namespace Crik.TestSupport;

/// <summary>
/// A memory cgroup of the test's own, below the one it runs in, with a limit: a process moved into it
/// that allocates past the limit is SIGKILLed by the kernel's OOM killer, as an app in a pod with a
/// memory limit is. cgroup v1 (memory.limit_in_bytes) or v2 (memory.max). Removed on dispose.
/// </summary>
public sealed class MemoryCgroup : IDisposable
{
    private MemoryCgroup(string path, bool v2)
    {
        Path = path;
        V2 = v2;
    }

    public string Path { get; }

    public bool V2 { get; }

    /// <summary>Why a memory cgroup cannot be made here, or null.</summary>
    public static string? Missing()
    {
        if (!Prerequisites.IsRoot)
        {
            return "needs root to make a memory cgroup";
        }
        return Parent() is null ? "no writable memory cgroup controller (v1 /sys/fs/cgroup/memory, or v2 with the memory controller)" : null;
    }

    public static MemoryCgroup Create(long limitBytes)
    {
        (string parent, bool v2) = Parent() ?? throw new InvalidOperationException(Missing());
        string path = System.IO.Path.Combine(parent, $"crik-test-{Guid.NewGuid():N}"[..20]);
        Directory.CreateDirectory(path);
        File.WriteAllText(System.IO.Path.Combine(path, v2 ? "memory.max" : "memory.limit_in_bytes"), limitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!v2 && File.Exists(System.IO.Path.Combine(path, "memory.memsw.limit_in_bytes")))
        {
            File.WriteAllText(System.IO.Path.Combine(path, "memory.memsw.limit_in_bytes"), limitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        else if (v2 && File.Exists(System.IO.Path.Combine(path, "memory.swap.max")))
        {
            File.WriteAllText(System.IO.Path.Combine(path, "memory.swap.max"), "0");
        }
        return new MemoryCgroup(path, v2);
    }

    public void Add(int pid) => File.WriteAllText(System.IO.Path.Combine(Path, "cgroup.procs"), pid.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public void Dispose()
    {
        Poll.Until(() =>
        {
            try
            {
                Directory.Delete(Path);
                return "removed";
            }
            catch (IOException)
            {
                return null; // its last process is still exiting
            }
        }, $"the test's memory cgroup {Path} to be empty and removed", TimeSpan.FromSeconds(10));
    }

    private static (string Path, bool V2)? Parent()
    {
        string[] lines = File.Exists("/proc/self/cgroup") ? File.ReadAllLines("/proc/self/cgroup") : [];
        string? v1 = lines.Select(l => l.Split(':', 3)).FirstOrDefault(f => f.Length == 3 && f[1].Split(',').Contains("memory"))?[2];
        if (v1 is not null && Directory.Exists(System.IO.Path.Combine("/sys/fs/cgroup/memory", v1.TrimStart('/'))))
        {
            return (System.IO.Path.Combine("/sys/fs/cgroup/memory", v1.TrimStart('/')), false);
        }
        string? v2 = lines.Select(l => l.Split(':', 3)).FirstOrDefault(f => f.Length == 3 && f[0] == "0")?[2];
        string dir = System.IO.Path.Combine("/sys/fs/cgroup", v2?.TrimStart('/') ?? "");
        return v2 is not null && File.Exists(System.IO.Path.Combine(dir, "cgroup.subtree_control"))
            && File.ReadAllText(System.IO.Path.Combine(dir, "cgroup.subtree_control")).Split(' ').Contains("memory") ? (dir, true) : null;
    }
}

/// <summary>A CRIU test that needs a memory cgroup of its own (see <see cref="MemoryCgroup"/>): skipped with the reason outside CI.</summary>
public sealed class MemoryCgroupFactAttribute : FactAttribute
{
    public MemoryCgroupFactAttribute()
    {
        if (!Prerequisites.InCi && (Prerequisites.MissingForCriu() ?? MemoryCgroup.Missing()) is { } reason)
        {
            Skip = reason;
        }
    }
}
