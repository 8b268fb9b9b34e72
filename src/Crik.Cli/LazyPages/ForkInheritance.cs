using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

/// <summary>
/// What a child forked from a process has of its parent's memory, as the kernel decides it at fork
/// (dup_mmap in kernel/fork.c): an area with MADV_DONTFORK (VM_DONTCOPY, "dc" in smaps' VmFlags) is not in
/// the child at all, and one with MADV_WIPEONFORK (VM_WIPEONFORK, "wf") is there without its pages: the child
/// reads zeros. The kernel lets the parent go on as crik reads the fork's event, so crik reads it from the child's
/// own areas where it can find the child (<see cref="ForkedChild"/>), the parent's only where the child has none.
/// </summary>
internal static class ForkInheritance
{
    /// <summary>
    /// The ranges of the parent's areas still held (<paramref name="held"/>) that the child does not have as they are, in
    /// address order, from the smaps of both (null when crik could not read one): the child's own areas registered with
    /// crik (VmFlags "um") are what the kernel gave it at the fork, changed since only by the child itself, and each such
    /// change comes as an event on the child's userfaultfd that crik has not read yet, which crik then follows. So the
    /// child's view decides (<see cref="Decide"/>); the parent's is asked only where the child has no area.
    /// Throws IOException when crik cannot know: neither could be read, or the two disagree over a range crik holds.
    /// </summary>
    public static List<(ulong Start, ulong End)> NotInherited(string? parentSmaps, string? childSmaps, IReadOnlyList<(ulong Start, ulong End)> held)
    {
        if (parentSmaps is null && childSmaps is null)
        {
            throw new IOException("neither the process that forked nor its child could be read in /proc, so crik cannot tell which of its memory the child has");
        }
        List<SmapsArea> parent = parentSmaps is null ? [] : SmapsArea.Parse(parentSmaps);
        List<SmapsArea>? child = childSmaps is null ? null : [.. SmapsArea.Parse(childSmaps).Where(a => a.Has("um"))];
        if (child is [])
        {
            return [.. held]; // it runs another program now, or has let go of every area crik fills: nothing to fill in it
        }
        var dropped = new List<(ulong Start, ulong End)>();
        foreach ((ulong start, ulong end) in held)
        {
            foreach ((ulong from, ulong to) in Pieces(start, end, parent, child ?? []))
            {
                ForkedArea parentHas = parentSmaps is null ? ForkedArea.Unknown : Kind(parent, from, true);
                ForkedArea childHas = child is null ? ForkedArea.Unknown : Kind(child, from, false);
                switch (Decide(parentHas, childHas))
                {
                    case true:
                        dropped.Add((from, to));
                        break;
                    case null:
                        throw new IOException($"the memory at 0x{from:x}-0x{to:x} is {Name(parentHas)} in the process that forked and {Name(childHas)} in its "
                            + "child, so crik cannot tell whether the child has its pages");
                }
            }
        }
        return dropped;
    }

    /// <summary>
    /// Whether a child lacks a range's pages (true: MADV_DONTFORK kept the area from it, MADV_WIPEONFORK emptied it), has
    /// them (false), or crik cannot know (null), from what the parent and the child have there now.
    /// <list type="bullet">
    /// <item>The child has no registered area there: the parent's flags say why (dc or wf: not inherited); otherwise the child
    /// unmapped or moved it since, and the event that says so is still to come (kept, for that event to act on).</item>
    /// <item>The child's area is marked wf where the parent's is too, or the parent is not seen: emptied at the fork.</item>
    /// <item>The two disagree, one area marked wf and the other whole: the one marked wf marked it after the fork, or the other
    /// unmarked it (MADV_KEEPONFORK), and which one nothing says (cannot know).</item>
    /// </list>
    /// </summary>
    public static bool? Decide(ForkedArea parent, ForkedArea child) => (parent, child) switch
    {
        (ForkedArea.Whole, ForkedArea.Wiped) => null,
        (_, ForkedArea.Wiped) => true,
        (ForkedArea.Wiped or ForkedArea.NotCopied, ForkedArea.None) => true,
        (_, ForkedArea.None) => false,
        (ForkedArea.Wiped, ForkedArea.Whole) => null,
        (_, ForkedArea.Whole) => false,
        (ForkedArea.Wiped or ForkedArea.NotCopied, ForkedArea.Unknown) => true,
        (ForkedArea.Unknown, ForkedArea.Unknown) => null,
        _ => false,
    };

    /// <summary>[<paramref name="start"/>, <paramref name="end"/>) cut where an area of either process begins or ends.</summary>
    private static IEnumerable<(ulong From, ulong To)> Pieces(ulong start, ulong end, List<SmapsArea> parent, List<SmapsArea> child)
    {
        SortedSet<ulong> cuts = [start, end];
        foreach (SmapsArea area in parent.Concat(child))
        {
            foreach (ulong edge in new[] { area.Start, area.End })
            {
                if (edge > start && edge < end)
                {
                    cuts.Add(edge);
                }
            }
        }
        return cuts.Zip(cuts.Skip(1));
    }

    private static ForkedArea Kind(List<SmapsArea> areas, ulong address, bool isParent)
    {
        SmapsArea? area = areas.FirstOrDefault(a => a.Start <= address && address < a.End);
        return area is null ? ForkedArea.None
            : isParent && area.Has("dc") ? ForkedArea.NotCopied
            : isParent && !area.Has("um") ? ForkedArea.Unknown // mapped since (the held one was registered): it says nothing of the fork
            : area.Has("wf") ? ForkedArea.Wiped
            : ForkedArea.Whole;
    }

    private static string Name(ForkedArea kind) => kind switch
    {
        ForkedArea.Whole => "mapped",
        ForkedArea.Wiped => "marked MADV_WIPEONFORK",
        ForkedArea.NotCopied => "marked MADV_DONTFORK",
        ForkedArea.None => "not mapped",
        _ => "not known",
    };

    /// <summary>Whether process <paramref name="pid"/> has any area registered with a userfaultfd (VmFlags "um").</summary>
    public static bool HasRegisteredMemory(int pid) => SmapsArea.Parse(ProcFiles.Text($"/proc/{pid}/smaps")).Any(a => a.Has("um"));
}
