using System.Runtime.InteropServices;
using System.Text;
using Crik.Cli.Interop;

namespace Crik.Cli.Processes;

/// <summary>
/// Starts programs with posix_spawn(3): only descriptors 0-2 are inherited, every signal disposition
/// and the signal mask are reset to defaults (the .NET runtime ignores SIGPIPE, which exec would
/// otherwise pass on). It never forks the runtime, so it is safe from any thread.
/// </summary>
internal static unsafe class Spawner
{
    // glibc's posix_spawnattr_t is 336 bytes and posix_spawn_file_actions_t 80 on 64-bit targets.
    private const int OpaqueSize = 1024;
    private const int SigSetSize = 128;

    /// <summary>Starts the program; returns its PID or throws <see cref="SpawnException"/>.</summary>
    public static int Spawn(SpawnRequest request)
    {
        if (request.Command.Count == 0)
        {
            throw new ArgumentException("the command is empty", nameof(request));
        }
        void* attributes = NativeMemory.AllocZeroed(OpaqueSize);
        void* fileActions = NativeMemory.AllocZeroed(OpaqueSize);
        byte* sigset = (byte*)NativeMemory.AllocZeroed(SigSetSize);
        var strings = new List<nint>();
        try
        {
            Check(Libc.PosixSpawnAttrInit(attributes), "posix_spawnattr_init");
            Check(Libc.PosixSpawnFileActionsInit(fileActions), "posix_spawn_file_actions_init");

            short flags = Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETSIGMASK;
            if (request.NewSession)
            {
                flags |= Libc.POSIX_SPAWN_SETSID;
            }
            Check(Libc.PosixSpawnAttrSetFlags(attributes, flags), "posix_spawnattr_setflags");
            _ = Libc.SigFillSet(sigset);
            Check(Libc.PosixSpawnAttrSetSigDefault(attributes, sigset), "posix_spawnattr_setsigdefault");
            _ = Libc.SigEmptySet(sigset);
            Check(Libc.PosixSpawnAttrSetSigMask(attributes, sigset), "posix_spawnattr_setsigmask");

            if (request.NullStdin)
            {
                Check(Libc.PosixSpawnFileActionsAddOpen(fileActions, 0, Utf8("/dev/null", strings), Libc.O_RDONLY, 0),
                    "posix_spawn_file_actions_addopen");
            }
            if (request.OutputPath is not null)
            {
                byte* path = Utf8(request.OutputPath, strings);
                Check(Libc.PosixSpawnFileActionsAddOpen(fileActions, 1, path,
                    Libc.O_WRONLY | Libc.O_CREAT | Libc.O_TRUNC, 0x1a4 /* 0644 */), "posix_spawn_file_actions_addopen");
                Check(Libc.PosixSpawnFileActionsAddOpen(fileActions, 2, path,
                    Libc.O_WRONLY | Libc.O_APPEND, 0), "posix_spawn_file_actions_addopen");
            }
            Check(Libc.PosixSpawnFileActionsAddCloseFrom(fileActions, 3), "posix_spawn_file_actions_addclosefrom_np");

            byte** argv = NullTerminated(request.Command, strings);
            byte** envp = NullTerminated(CurrentEnvironment(), strings);
            int error = Libc.PosixSpawnp(out int pid, argv[0], fileActions, attributes, argv, envp);
            if (error != 0)
            {
                throw new SpawnException(request.Command[0], error);
            }
            return pid;
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

    private static List<string> CurrentEnvironment()
    {
        var environment = new List<string>();
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            environment.Add($"{entry.Key}={entry.Value}");
        }
        return environment;
    }

    private static byte** NullTerminated(IReadOnlyList<string> values, List<nint> allocations)
    {
        var array = (byte**)NativeMemory.AllocZeroed((nuint)(values.Count + 1), (nuint)sizeof(nint));
        allocations.Add((nint)array);
        for (int i = 0; i < values.Count; i++)
        {
            array[i] = Utf8(values[i], allocations);
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

    private static void Check(int error, string call)
    {
        if (error != 0)
        {
            throw Posix.Failure(call, error);
        }
    }
}
