using Crik.Cli.Interop;

namespace Crik.Cli.Processes;

/// <summary>Where crik keeps the signals it received and has not handled, handed to the program it starts again (<see cref="SelfRestart"/>).</summary>
internal interface ISignalHandOver
{
    /// <summary>
    /// Takes the signals received and not handled. Every one received from now on, whichever of crik's threads the kernel
    /// gave it to, is sent on to <paramref name="execThread"/>, which blocks it: it waits there, pending, and the execve keeps it.
    /// </summary>
    IReadOnlyList<Signal> HandOver(int execThread);

    /// <summary>The execve failed: signals received from now on are queued here again (the ones taken stay taken: crik ends).</summary>
    void TakeBack();
}
