using Crik.Cli.Interop;

namespace Crik.Cli.Timing;

/// <summary>The pod was told to stop (<see cref="Signal"/>) while crik waited to start the app: nothing started, and crik exits.</summary>
internal sealed class PodStoppingException(Signal signal) : Exception($"crik got {Posix.SignalName(signal)} while it waited to start the app (for another "
    + "crik's lock on the image directory, or for a store it could not read): the pod is stopping, so crik started nothing and exits")
{
    public Signal Signal { get; } = signal;
}
