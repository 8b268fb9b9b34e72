using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

internal static unsafe partial class Libc
{
    internal const int SOL_SOCKET = 1, SCM_RIGHTS = 1, MSG_CTRUNC = 0x8, MSG_CMSG_CLOEXEC = 0x40000000;
    internal const int F_SETPIPE_SZ = 1031;

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoVector
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>recvmsg(2). Returns bytes received (0 at end of stream), or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "recvmsg", SetLastError = true)]
    internal static partial nint ReceiveMessage(nint socket, MessageHeader* message, int flags);

    /// <summary>fcntl(2) with an integer argument. Returns the call's result, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int command, int argument);
}
