using Crik.Cli.Processes;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Checkpointing;

/// <summary>The pages of a process crik still fills: its memory from /proc/PID/mem, and the chunks of the checkpoint it was restored from.</summary>
internal sealed class UnfilledProcessPages(UnfilledProcess process, IArrivingMemory arriving) : IPageSources, IDisposable
{
    private readonly SafeFileHandle _memory = File.OpenHandle($"/proc/{process.Pid}/mem");

    public void ReadMemory(ulong address, Span<byte> into)
    {
        for (int done = 0; done < into.Length;)
        {
            int read = RandomAccess.Read(_memory, into[done..], (long)address + done);
            done += read > 0 ? read : throw new IOException($"could not read process {process.Pid}'s memory at 0x{address + (ulong)done:x}");
        }
    }

    public byte[] ReadRestoredChunk(int index) => arriving.ReadChunk(process.PagesId, index);

    public void Dispose() => _memory.Dispose();
}
