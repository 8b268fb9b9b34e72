using System.Runtime.InteropServices;
using System.Text;

namespace Crik.Cli.Interop;

/// <summary>
/// The safe wrapper over posix_spawn(3): only descriptors 0-2 (and those the caller names) are inherited, every signal disposition
/// and the signal mask are reset to defaults (the .NET runtime ignores SIGPIPE, which exec would
/// otherwise pass on). It never forks the runtime, so it is safe from any thread.
/// </summary>
internal static unsafe class PosixSpawn
{
    // glibc's posix_spawnattr_t is 336 bytes and posix_spawn_file_actions_t 80 on 64-bit targets.
    private const int OpaqueSize = 1024;
    private const int SigSetSize = 128;

    /// <summary>
    /// Starts <paramref name="command"/> (looked up on PATH when it has no slash). Returns Errno.None
    /// and the PID, or why the program could not be started (ENOENT, EACCES, ENOEXEC...). Throws
    /// an IOException when the spawn attributes themselves cannot be set up.
    /// </summary>
    /// <param name="newSession">Start it in a new session and process group (setsid).</param>
    /// <param name="nullStdin">Give it a /dev/null opened here as stdin.</param>
    /// <param name="outputPath">Send stdout and stderr to this file (created 0600), instead of crik's own.</param>
    /// <param name="inherited">Descriptors of crik's that the child gets as 3, 4, ... (in this order).</param>
    public static Errno TrySpawn(IReadOnlyList<string> command, IReadOnlyList<string> environment, bool newSession,
        bool nullStdin, string? outputPath, out int pid, IReadOnlyList<int>? inherited = null)
    {
        void* attributes = NativeMemory.AllocZeroed(OpaqueSize);
        void* fileActions = NativeMemory.AllocZeroed(OpaqueSize);
        byte* sigset = (byte*)NativeMemory.AllocZeroed(SigSetSize);
        var strings = new List<nint>();
        try
        {
            Check(Libc.PosixSpawnAttrInit(attributes), "posix_spawnattr_init");
            Check(Libc.PosixSpawnFileActionsInit(fileActions), "posix_spawn_file_actions_init");
            SetDefaultSignals(attributes, sigset, newSession);
            RedirectStandardStreams(fileActions, nullStdin, outputPath, strings);
            InheritOnly(fileActions, inherited ?? []);
            byte** argv = NullTerminated(OriginalBytes.OfArguments(command), strings);
            byte** envp = NullTerminated(OriginalBytes.OfEnvironment(environment), strings);
            return Libc.PosixSpawnp(out pid, argv[0], fileActions, attributes, argv, envp);
        }
        finally
        {
            _ = Libc.PosixSpawnFileActionsDestroy(fileActions);
            _ = Libc.PosixSpawnAttrDestroy(attributes);
            foreach (nint s in strings)
            {
                NativeMemory.Free((void*)s);
            }
            NativeMemory.Free(sigset);
            NativeMemory.Free(fileActions);
            NativeMemory.Free(attributes);
        }
    }

    /// <summary>Every signal's disposition back to its default and an empty mask; a new session when asked.</summary>
    private static void SetDefaultSignals(void* attributes, byte* sigset, bool newSession)
    {
        short flags = Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETSIGMASK;
        if (newSession)
        {
            flags |= Libc.POSIX_SPAWN_SETSID;
        }
        Check(Libc.PosixSpawnAttrSetFlags(attributes, flags), "posix_spawnattr_setflags");
        _ = Libc.SigFillSet(sigset);
        Check(Libc.PosixSpawnAttrSetSigDefault(attributes, sigset), "posix_spawnattr_setsigdefault");
        _ = Libc.SigEmptySet(sigset);
        Check(Libc.PosixSpawnAttrSetSigMask(attributes, sigset), "posix_spawnattr_setsigmask");
    }

    private static void RedirectStandardStreams(void* fileActions, bool nullStdin, string? outputPath, List<nint> strings)
    {
        foreach (int fd in StandardDescriptors.NotCriks().Where(fd => fd > 0 || !nullStdin))
        {
            Check(Libc.PosixSpawnFileActionsAddOpen(fileActions, fd, Utf8("/dev/null", strings), OpenFlags.ReadWrite, 0),
                "posix_spawn_file_actions_addopen");
        }
        if (nullStdin)
        {
            Check(Libc.PosixSpawnFileActionsAddOpen(fileActions, 0, Utf8("/dev/null", strings), OpenFlags.ReadOnly, 0),
                "posix_spawn_file_actions_addopen");
        }
        if (outputPath is not null)
        {
            byte* path = Utf8(outputPath, strings);
            // One open file for both: each write lands after the last, whichever stream it came from.
            Check(Libc.PosixSpawnFileActionsAddOpen(fileActions, 1, path,
                OpenFlags.WriteOnly | OpenFlags.Create | OpenFlags.Truncate | OpenFlags.Append, 0x180 /* 0600 */), "posix_spawn_file_actions_addopen");
            Check(Libc.PosixSpawnFileActionsAddDup2(fileActions, 1, 2), "posix_spawn_file_actions_adddup2");
        }
    }

    /// <summary>Moves <paramref name="inherited"/> to 3, 4, ... in the child and closes every descriptor above them.</summary>
    private static void InheritOnly(void* fileActions, IReadOnlyList<int> inherited)
    {
        // Through descriptors above every source first, so that no source is overwritten before it is copied.
        int above = inherited.Count == 0 ? 0 : Math.Max(inherited.Max(), 2 + inherited.Count) + 1;
        for (int i = 0; i < inherited.Count; i++)
        {
            Check(Libc.PosixSpawnFileActionsAddDup2(fileActions, inherited[i], above + i), "posix_spawn_file_actions_adddup2");
        }
        for (int i = 0; i < inherited.Count; i++)
        {
            Check(Libc.PosixSpawnFileActionsAddDup2(fileActions, above + i, 3 + i), "posix_spawn_file_actions_adddup2");
        }
        Check(Libc.PosixSpawnFileActionsAddCloseFrom(fileActions, 3 + inherited.Count), "posix_spawn_file_actions_addclosefrom_np");
    }

    /// <summary>A NULL-terminated array of NUL-terminated UTF-8 strings (argv, envp), each allocation noted for the caller to free.</summary>
    internal static byte** NullTerminated(IReadOnlyList<string> values, List<nint> allocations) =>
        NullTerminated([.. values.Select(Encoding.UTF8.GetBytes)], allocations);

    /// <summary>A NULL-terminated array of NUL-terminated byte strings (argv, envp), each allocation noted for the caller to free.</summary>
    internal static byte** NullTerminated(IReadOnlyList<byte[]> values, List<nint> allocations)
    {
        var array = (byte**)NativeMemory.AllocZeroed((nuint)(values.Count + 1), (nuint)sizeof(nint));
        allocations.Add((nint)array);
        for (int i = 0; i < values.Count; i++)
        {
            var buffer = (byte*)NativeMemory.Alloc((nuint)values[i].Length + 1);
            allocations.Add((nint)buffer);
            values[i].CopyTo(new Span<byte>(buffer, values[i].Length));
            buffer[values[i].Length] = 0;
            array[i] = buffer;
        }
        return array;
    }

    private static byte* Utf8(string value, List<nint> allocations)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        var buffer = (byte*)NativeMemory.Alloc((nuint)length + 1);
        allocations.Add((nint)buffer);
        Encoding.UTF8.GetBytes(value, new Span<byte>(buffer, length));
        buffer[length] = 0;
        return buffer;
    }

    private static void Check(Errno error, string call)
    {
        if (error != 0)
        {
            throw Posix.Failure(call, error);
        }
    }
}
