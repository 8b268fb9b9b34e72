using System.Buffers.Binary;
using System.Globalization;
using Crik.Cli.Interop;

namespace Crik.Cli.Criu;

/// <summary>The state a process was dumped in, and for a stopped one the signal that stopped it (0 when the image does not say).</summary>
internal readonly record struct TaskState(uint State, int StopSignal)
{
    public bool Stopped => State == TaskStateImage.Stopped;

    /// <summary>The signal a stopped process is stopped by again when CRIU restores it: SIGSTOP unless the image names another stop signal.</summary>
    public Signal StoppedBy => StopSignal is (int)Signal.SIGTSTP or (int)Signal.SIGTTIN or (int)Signal.SIGTTOU ? (Signal)StopSignal : Signal.SIGSTOP;
}

/// <summary>
/// The state a process was dumped in, from its core image (<c>core-PID.img</c>): a core_entry whose
/// task_core_entry (tc = 3) holds task_state (1): alive (1), dead (2, a zombie) or stopped (3, by a
/// SIGSTOP or its kind), and for a stopped one stop_signo (21), the signal that stopped it. CRIU
/// restores a stopped one stopped by that signal (unless told to leave every process stopped).
/// </summary>
internal static class TaskStateImage
{
    public const uint Alive = 1, Dead = 2, Stopped = 3;

    private const uint CoreMagic = 0x55053847;
    private const int TaskStateField = 1, StopSignalField = 21;

    public static string Name(int pid) => $"core-{pid.ToString(CultureInfo.InvariantCulture)}.img";

    /// <summary>The task_state and stop_signo of a core image; throws <see cref="FormatException"/> for one that is not (or has no task_state).</summary>
    public static TaskState Parse(ReadOnlySpan<byte> image)
    {
        if (!new ProtobufFieldReader(CoreEntry(image)).NextEmbedded(3, out ReadOnlySpan<byte> task))
        {
            throw new FormatException("it has no task core entry");
        }
        uint? state = null;
        int stopSignal = 0;
        var fields = new ProtobufFieldReader(task);
        while (fields.Next(out int field, out ulong value))
        {
            if (field == TaskStateField)
            {
                state = checked((uint)value);
            }
            else if (field == StopSignalField)
            {
                stopSignal = checked((int)value);
            }
        }
        return state is { } known ? new TaskState(known, stopSignal) : throw new FormatException("its task core entry has no task_state");
    }

    /// <summary>A core image's core_entry; throws <see cref="FormatException"/> for an image that is not a core image.</summary>
    public static ReadOnlySpan<byte> CoreEntry(ReadOnlySpan<byte> image)
    {
        if (image.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(image) != ImageWire.CommonMagic
            || BinaryPrimitives.ReadUInt32LittleEndian(image[4..]) != CoreMagic)
        {
            throw new FormatException("it does not start as a CRIU core image");
        }
        return new ImageMessageReader(image[8..]).Next(out ReadOnlySpan<byte> core) ? core : throw new FormatException("it has no core entry");
    }
}
