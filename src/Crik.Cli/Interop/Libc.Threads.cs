using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

internal static partial class Libc
{
    /// <summary>pthread_create(3) with default attributes. Returns 0 or an error number (not errno).</summary>
    [LibraryImport(Library, EntryPoint = "pthread_create")]
    internal static partial int PthreadCreate(out nuint thread, nint attributes, nint startRoutine, nint argument);

    /// <summary>pthread_join(3): waits for the thread and gives its start routine's return value.</summary>
    [LibraryImport(Library, EntryPoint = "pthread_join")]
    internal static partial int PthreadJoin(nuint thread, out nint result);

    /// <summary>setpriority(2). On Linux a nice value is each thread's own: PRIO_PROCESS with who 0 sets the calling thread's. Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "setpriority", SetLastError = true)]
    internal static partial int SetPriority(int which, int who, int priority);

    /// <summary>SCHED_IDLE: a thread that runs only when its core has nothing else to run, and never takes the core from one that does.</summary>
    internal const int SCHED_IDLE = 5;

    /// <summary>sched_setscheduler(2) for one thread; <paramref name="priority"/> is struct sched_param's one field. Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "sched_setscheduler", SetLastError = true)]
    internal static partial int SchedSetScheduler(int thread, int policy, in int priority);
}
