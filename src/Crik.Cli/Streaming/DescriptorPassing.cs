using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Streaming;

/// <summary>Receiving each image's pipe, sent by CRIU with SCM_RIGHTS over the image streamer socket.</summary>
internal static class DescriptorPassing
{
    /// <summary>Pipes CRIU streams through are widened to this (the default 64 KiB costs a context switch per 64 KiB).</summary>
    private const int PipeBytes = 1 << 20;

    /// <summary>Receives the one byte that carries a pipe, and the pipe; throws when none came.</summary>
    public static SafeFileHandle Receive(nint socket)
    {
        SafeFileHandle pipe = DescriptorMessages.Receive(socket, "CRIU's image streamer connection");
        _ = Libc.Fcntl((int)pipe.DangerousGetHandle(), Libc.F_SETPIPE_SZ, PipeBytes); // a smaller pipe only costs speed
        return pipe;
    }
}
