using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>Receiving a descriptor sent with SCM_RIGHTS over a Unix socket, as CRIU sends them: one byte of data carrying one descriptor.</summary>
internal static class DescriptorMessages
{
    /// <summary>Receives the one byte that carries a descriptor, and the descriptor (close-on-exec); throws when none came.</summary>
    /// <param name="sender">Who sends it, for messages ("CRIU's image streamer connection").</param>
    public static unsafe SafeFileHandle Receive(nint socket, string sender)
    {
        byte data;
        const int controlBytes = 64;
        byte* control = stackalloc byte[controlBytes];
        new Span<byte>(control, controlBytes).Clear();
        var vector = new Libc.IoVector { Base = &data, Length = 1 };
        var message = new Libc.MessageHeader { Vectors = &vector, VectorCount = 1, Control = control, ControlLength = controlBytes };
        nint received;
        do
        {
            received = Libc.ReceiveMessage(socket, &message, Libc.MSG_CMSG_CLOEXEC);
        }
        while (received < 0 && Libc.LastErrno == Errno.EINTR);
        if (received < 0)
        {
            throw Posix.Failure($"recvmsg on {sender}", Libc.LastErrno);
        }
        // struct cmsghdr: size_t len; int level; int type; then the descriptors.
        nuint length = *(nuint*)control;
        int level = *(int*)(control + sizeof(nuint));
        int type = *(int*)(control + sizeof(nuint) + sizeof(int));
        if (received == 0 || message.ControlLength < (nuint)(sizeof(nuint) + 3 * sizeof(int)) || level != Libc.SOL_SOCKET
            || type != Libc.SCM_RIGHTS || length < (nuint)(sizeof(nuint) + 3 * sizeof(int)))
        {
            throw new IOException($"{sender} sent no descriptor where one was due");
        }
        int header = sizeof(nuint) + 2 * sizeof(int);
        int count = (int)Math.Min(((nint)length - header) / sizeof(int), (controlBytes - header) / sizeof(int));
        int fd = *(int*)(control + header);
        for (int extra = 1; extra < count; extra++)
        {
            _ = Libc.Close(*(int*)(control + header + extra * sizeof(int))); // CRIU sends one; more would leak
        }
        if ((message.Flags & Libc.MSG_CTRUNC) != 0)
        {
            _ = Libc.Close(fd);
            throw new IOException($"{sender} sent more descriptors than one");
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }
}
