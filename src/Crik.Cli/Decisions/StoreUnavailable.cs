using Crik.Cli.Configuration;

namespace Crik.Cli.Decisions;

/// <summary>What crik does when it cannot tell whether the image directory holds a checkpoint (<see cref="StoreUnavailable"/>).</summary>
internal enum WhenUnsure
{
    /// <summary>The app starts fresh at once (onStoreUnavailable: start), giving up any checkpoint's work and the promise of one live copy.</summary>
    StartFresh,

    /// <summary>Nothing starts yet: the lookup is tried again, since lockWait has time left.</summary>
    LookAgain,

    /// <summary>Nothing starts: crik exits so that Kubernetes starts the pod again.</summary>
    StartNothing,
}

/// <summary>
/// onStoreUnavailable: unknown is not empty. When crik cannot tell whether the image directory holds a
/// checkpoint (it cannot list, lock or read it, or reading the checkpoint it found failed), a fresh
/// start could drop that checkpoint's work and run a second copy beside a pod crik cannot see; so
/// nothing starts unless the user chose to start.
/// </summary>
internal static class StoreUnavailable
{
    /// <summary>What <c>lockWaitLeft</c> is once the lookup is over (the checkpoint was found, or crik failed outside the lookup): there is no looking again.</summary>
    public static readonly TimeSpan LookupOver = TimeSpan.Zero;

    /// <param name="lockWaitLeft">How much of lockWait is left to look again; <see cref="LookupOver"/> when there is no looking again.</param>
    public static WhenUnsure Decide(StoreUnavailablePolicy policy, TimeSpan lockWaitLeft) =>
        policy == StoreUnavailablePolicy.Start ? WhenUnsure.StartFresh
        : lockWaitLeft > TimeSpan.Zero ? WhenUnsure.LookAgain
        : WhenUnsure.StartNothing;
}
