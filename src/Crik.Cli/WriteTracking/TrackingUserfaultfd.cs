using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.WriteTracking;

/// <summary>
/// The userfaultfd crik tracks a process's writes with: one of the process's memory in asynchronous write-protect mode
/// (<see cref="AppUserfaultfd"/>), made by a thread <see cref="CallingThread"/> chooses, and only where this kernel and the
/// process allow it.
/// </summary>
internal static class TrackingUserfaultfd
{
    private const string NoAsyncWriteProtection = "this kernel's userfaultfd cannot write-protect asynchronously (Linux 6.7 or later can)";

    /// <summary>
    /// The new userfaultfd of process <paramref name="pid"/>'s memory, made by one of its threads, with the number it had there
    /// (the copies a fork made meanwhile closed in its children, <see cref="InheritedUserfaultfd"/>); throws IOException when none of
    /// them can make it (the process is gone or traced already, the kernel or a seccomp profile refuses userfaultfd, or the
    /// kernel has no asynchronous write-protection: before 6.7).
    /// </summary>
    public static (SafeFileHandle Taken, int NumberInApp) Take(int pid, TimeSpan wait, CodeArea? vdso)
    {
        if (AppSyscall.Unsupported() is { } unsupported)
        {
            throw new IOException(unsupported);
        }
        if (KernelRefuses.Value is { } refused)
        {
            throw new IOException(refused); // asked of crik's own userfaultfd first: nothing is run in the app for a kernel that cannot
        }
        (SafeFileHandle taken, int numberInApp) = AppUserfaultfd.MadeInApp(pid, () => CallingThread.Stop(pid, wait, vdso));
        try
        {
            InheritedUserfaultfd.CloseCopies(pid, pid, taken, numberInApp, wait, vdso);
            Errno refusedHere = AppUserfaultfd.WriteProtectAsynchronously(taken);
            return refusedHere == Errno.None ? (taken, numberInApp) : throw new IOException($"{NoAsyncWriteProtection}: {Libc.Describe(refusedHere)}");
        }
        catch
        {
            taken.Dispose();
            throw;
        }
    }

    /// <summary>Why this kernel (or crik's container) gives no asynchronous write-protection, found with a userfaultfd of crik's own; null when it does.</summary>
    private static readonly Lazy<string?> KernelRefuses = new(() =>
    {
        using SafeFileHandle? own = AppUserfaultfd.MadeHere();
        if (own is null)
        {
            return $"userfaultfd is not allowed here: {Libc.Describe(Libc.LastErrno)}";
        }
        Errno refused = AppUserfaultfd.WriteProtectAsynchronously(own);
        return refused == Errno.None ? null : $"{NoAsyncWriteProtection}: {Libc.Describe(refused)}";
    });
}
