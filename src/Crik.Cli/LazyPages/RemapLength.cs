using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

/// <summary>
/// How much memory an mremap moved, where its userfaultfd event may not say.
/// <list type="bullet">
/// <item>Before 6.16, mremap reports the length it was called with. mm/mremap.c, SYSCALL_DEFINE5(mremap) ends with
/// <c>userfaultfd_unmap_complete(mm, &amp;uf_unmap_early); mremap_userfaultfd_complete(&amp;uf, addr, ret, old_len);
/// userfaultfd_unmap_complete(mm, &amp;uf_unmap);</c>, and mremap_to(), which for MREMAP_FIXED to a smaller length
/// unmaps the tail first (<c>do_munmap(mm, addr+new_len, old_len - new_len, uf_unmap)</c>) and then moves
/// <c>new_len</c>, shrinks only its own copy of <c>old_len</c>. So a shrink that moves reports the old length, and
/// the unmap of the cut-off tail, at its old addresses, comes after the remap.</item>
/// <item>From 6.16, mremap_to() sets <c>vrm->old_len = vrm->new_len</c> once shrink_vma() has cut the tail, and
/// notify_uffd() reports <c>vrm->old_len</c>: the event holds what moved; the tail's unmap still comes after it.</item>
/// </list>
/// Only MREMAP_FIXED can shrink while it moves (without it a shrink stays in place and sends no remap event), and
/// the moving thread waits in mremap until crik has read the tail's unmap event. So, on an older kernel, crik looks
/// at the process's threads (<see cref="RemapWitness"/>): the thread still in that mremap shows the length it moves
/// to; when every thread is seen elsewhere, the mremap sent no tail to unmap that crik has pages of, and the
/// reported length is what moved.
/// </summary>
internal static class RemapLength
{
    /// <summary>Where the tests make crik find out what an mremap moved as on a kernel before 6.16 (debug builds only).</summary>
    public const string OlderKernelVariable = "CRIK_TEST_REMAP_AS_BEFORE_6_16";

    public static bool ActAsAnOlderKernel()
    {
#if DEBUG
        return Environment.GetEnvironmentVariable(OlderKernelVariable) == "1";
#else
        return false;
#endif
    }

    /// <summary>
    /// For <see cref="ActAsAnOlderKernel"/>: the length a kernel before 6.16 would have reported for this mremap, the one
    /// it was called with, read from the thread still in it (a shrink that moves waits there for its tail's unmap event).
    /// </summary>
    public static ulong AsAnOlderKernelReports(int pid, ulong from, ulong to, ulong reported)
    {
        if (MremapNumber(RuntimeInformation.ProcessArchitecture) is not { } number)
        {
            return reported;
        }
        for (long started = Stopwatch.GetTimestamp(); Stopwatch.GetElapsedTime(started) < TimeSpan.FromMilliseconds(200); Thread.Sleep(1))
        {
            foreach ((_, string syscall) in Threads(pid))
            {
                if (RemapWitness.Lengths(syscall, number, from, to) is { } lengths)
                {
                    return lengths.Old;
                }
            }
        }
        return reported;
    }

    /// <summary>Whether a kernel of this release (/proc/sys/kernel/osrelease) reports the length that moved; one it cannot read counts as not.</summary>
    public static bool EventSaysWhatMoved(string release) => KernelRelease.IsAtLeast(release, 6, 16);

    /// <summary>How long crik looks for the thread of an mremap before it gives up (it never guesses).</summary>
    public static readonly TimeSpan LookFor = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The length an mremap of process <paramref name="pid"/> moved (<see cref="RemapWitness"/>), looking at its threads
    /// until it can tell; throws IOException when it cannot within <see cref="LookFor"/>.
    /// </summary>
    public static ulong Moved(int pid, ulong from, ulong to, ulong reported)
    {
        int number = MremapNumber(RuntimeInformation.ProcessArchitecture)
            ?? throw new IOException($"crik does not know mremap's system call number on {RuntimeInformation.ProcessArchitecture}");
        var witness = new RemapWitness(from, to, reported, number);
        long started = Stopwatch.GetTimestamp();
        for (bool first = true; ; first = false)
        {
            if (witness.Look(Threads(pid)) is { } moved)
            {
                return moved;
            }
            if (first && KeptInPlace(ProcFiles.Text($"/proc/{pid}/smaps"), from, from + reported))
            {
                return reported;
            }
            if (Stopwatch.GetElapsedTime(started) > LookFor)
            {
                throw new IOException($"process {pid} moved its memory with mremap from 0x{from:x} to 0x{to:x}, and this kernel reports the length "
                    + $"the call asked to move (0x{reported:x}), not what moved; crik could not see which of its threads made the call in "
                    + $"{LookFor.TotalSeconds:0} s, so it cannot tell and does not guess");
            }
            Thread.Sleep(1);
        }
    }

    /// <summary>
    /// Whether the old place of a move is still memory registered with crik ("um" in smaps, all of it): only
    /// MREMAP_DONTUNMAP leaves it so (any other move unmaps it, and its tail, before the remap event is sent), and
    /// it never shrinks, so the reported length moved. Its mover does not wait after that event, and a thread beside it
    /// that never sleeps would keep crik from seeing every thread outside the call.
    /// </summary>
    public static bool KeptInPlace(string smaps, ulong start, ulong end)
    {
        ulong covered = start;
        foreach (SmapsArea area in SmapsArea.Parse(smaps).Where(a => a.Has("um") && a.End > start && a.Start < end))
        {
            if (area.Start > covered)
            {
                return false;
            }
            covered = Math.Max(covered, area.End);
        }
        return covered >= end;
    }

    /// <summary>Each thread of the process and what it does now (/proc/PID/task/TID/syscall).</summary>
    private static List<(int Tid, string Syscall)> Threads(int pid)
    {
        var threads = new List<(int Tid, string Syscall)>();
        foreach (string name in ProcFiles.Names($"/proc/{pid}/task"))
        {
            if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int tid))
            {
                threads.Add((tid, ProcFiles.Text($"/proc/{pid}/task/{tid}/syscall"))); // "" when it cannot be read: not seen
            }
        }
        return threads;
    }

    /// <summary>mremap's system call number on this machine's architecture; null where crik does not know it.</summary>
    public static int? MremapNumber(Architecture architecture) => architecture switch
    {
        Architecture.X64 => 25,
        Architecture.Arm64 => 216,
        _ => null,
    };
}

/// <summary>
/// Finds how much an mremap from <paramref name="from"/> to <paramref name="to"/> moved, from looks at the process's
/// threads' /proc/PID/task/TID/syscall ("running"; "-1 sp pc" in a fault; "NR a0 a1 a2 a3 a4 a5 sp pc" in a system call;
/// "" where it could not be read).
/// </summary>
/// <param name="reported">The length the remap event reported (the one mremap was called with).</param>
/// <param name="mremapNumber">mremap's system call number.</param>
internal sealed class RemapWitness(ulong from, ulong to, ulong reported, int mremapNumber)
{
    /// <summary>The threads of the first look, and whether each has been seen outside this mremap since.</summary>
    private Dictionary<int, bool>? _seenElsewhere;

    /// <summary>
    /// One look at the threads: the length moved, when a thread is in this mremap (its new length) or every thread of
    /// the first look has been seen outside it (the reported length); null when crik must look again.
    /// </summary>
    public ulong? Look(IReadOnlyList<(int Tid, string Syscall)> threads)
    {
        _seenElsewhere ??= threads.ToDictionary(t => t.Tid, _ => false);
        var present = new HashSet<int>();
        foreach ((int tid, string syscall) in threads)
        {
            present.Add(tid);
            if (syscall.Trim() is "running" or "")
            {
                continue; // not seen where it is
            }
            if (Lengths(syscall, mremapNumber, from, to, reported) is { } lengths)
            {
                return Math.Min(lengths.New, reported);
            }
            if (_seenElsewhere.ContainsKey(tid))
            {
                _seenElsewhere[tid] = true;
            }
        }
        // A thread gone since the first look is not in this mremap either.
        return _seenElsewhere.All(t => t.Value || !present.Contains(t.Key)) ? reported : null;
    }

    /// <summary>
    /// The old and new lengths of the mremap from <paramref name="from"/> to <paramref name="to"/> that a thread whose
    /// /proc/PID/task/TID/syscall reads <paramref name="syscall"/> is in; null when it is not in that call. Its fifth
    /// argument is the destination only with MREMAP_FIXED: a move without it (realloc's, MREMAP_MAYMOVE) has the kernel
    /// choose where, and is known by where it moves from and, where given, the length it was called with
    /// (<paramref name="oldLength"/>: what a kernel before 6.16 reports). The lengths are as the kernel takes them, rounded up
    /// to whole pages: the call's own may end mid-page, as the event's never does.
    /// </summary>
    public static (ulong Old, ulong New)? Lengths(string syscall, int mremapNumber, ulong from, ulong to, ulong? oldLength = null)
    {
        string[] fields = syscall.Trim().Split(' ');
        if (fields.Length < 6 || fields[0] != mremapNumber.ToString(CultureInfo.InvariantCulture) || Hex(fields[1]) != from
            || Hex(fields[2]) is not { } asked || Hex(fields[3]) is not { } askedNew || Hex(fields[4]) is not { } flags)
        {
            return null;
        }
        (ulong old, ulong length) = (WholePages(asked), WholePages(askedNew));
        bool fixedPlace = (flags & MremapFixed) != 0;
        return (fixedPlace ? Hex(fields[5]) == to : true) && (oldLength is null || old == oldLength) ? (old, length) : null;
    }

    private const ulong MremapFixed = 2;

    private static ulong WholePages(ulong bytes) => (bytes + (ulong)ImagePage.Bytes - 1) & ~((ulong)ImagePage.Bytes - 1);

    private static ulong? Hex(string field) =>
        field.StartsWith("0x", StringComparison.Ordinal) && ulong.TryParse(field.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value)
            ? value : null;
}
