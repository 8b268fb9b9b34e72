namespace Crik.Cli.Interop;

/// <summary>
/// Anonymous memory of crik's own, aligned to and a multiple of 2 MiB, that the kernel is asked to
/// back with transparent huge pages (MADV_HUGEPAGE; where it cannot, it uses small pages as usual).
/// A buffer that is filled over and over then costs one page fault per 2 MiB the first time instead
/// of one per 4 KiB, which matters most in a virtual machine, where each fault is a trip to the host.
/// </summary>
internal sealed unsafe class HugePageMemory : IDisposable
{
    public const int Alignment = 2 << 20;

    private nint _address;

    private HugePageMemory(nint address, int bytes)
    {
        _address = address;
        Length = bytes;
    }

    public int Length { get; }

    /// <summary>The memory; not to be used after <see cref="Dispose"/>.</summary>
    public Span<byte> Bytes => new((void*)_address, Length);

    /// <summary>Maps <paramref name="bytes"/> (a multiple of <see cref="Alignment"/>) of zeroed memory.</summary>
    public static HugePageMemory Map(int bytes)
    {
        if (bytes <= 0 || bytes % Alignment != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, $"a multiple of {Alignment} bytes");
        }
        // Twice as much as needed, then the unaligned ends are given back.
        nuint mapped = (nuint)bytes + Alignment;
        nint start = Libc.Mmap(0, mapped, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1, 0);
        if (start == -1)
        {
            throw Posix.Failure("mmap", Libc.LastErrno);
        }
        nint aligned = (start + Alignment - 1) & ~(nint)(Alignment - 1);
        nint end = aligned + bytes;
        if (aligned > start)
        {
            _ = Libc.Munmap(start, (nuint)(aligned - start));
        }
        if (start + (nint)mapped > end)
        {
            _ = Libc.Munmap(end, (nuint)(start + (nint)mapped - end));
        }
        _ = Libc.Madvise(aligned, (nuint)bytes, Libc.MADV_HUGEPAGE); // a kernel without transparent huge pages refuses: small pages then
        return new HugePageMemory(aligned, bytes);
    }

    /// <summary>
    /// Lets the kernel take the memory back whenever it needs it (MADV_FREE): until then it stays, and a write keeps it; once
    /// taken, the next write finds zeroed memory. Only for memory whose content nobody needs any more.
    /// </summary>
    public void FreeLazily()
    {
        if (_address != 0)
        {
            _ = Libc.Madvise(_address, (nuint)Length, Libc.MADV_FREE); // refused before Linux 4.5: the memory stays as it is
        }
    }

    public void Dispose()
    {
        nint address = Interlocked.Exchange(ref _address, 0);
        if (address != 0)
        {
            _ = Libc.Munmap(address, (nuint)Length);
        }
    }
}
