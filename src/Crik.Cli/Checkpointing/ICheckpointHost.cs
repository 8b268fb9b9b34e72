namespace Crik.Cli.Checkpointing;

/// <summary>
/// The supervisor's side of one checkpoint: what the checkpoint lets it do to the app on its way, at the moments only
/// the checkpoint knows. The checkpoint never signals the app itself; it tells its host when it may.
/// </summary>
internal interface ICheckpointHost
{
    /// <summary>
    /// The app's state and files are captured, before the commit: an app that runs on after the checkpoint may be
    /// resumed now. Returns when it was let go, right before its first SIGCONT (on <see cref="Interop.MonotonicClock"/>), or
    /// null when it was not (it ends after the checkpoint, or its lease holds it back).
    /// </summary>
    long? Captured();

    /// <summary>
    /// CRIU is done with the app and the checkpoint will not be taken, before the image directory is cleaned up and
    /// unlocked (slow with a store that stops answering): the app may be resumed, and get its SIGTERM, now. Called at
    /// most once.
    /// </summary>
    void GivingUp();

    /// <summary>
    /// A SIGTERM arrived during this checkpoint (not the one it is for), which the supervisor handles once this checkpoint is
    /// done: work that only makes this checkpoint cheaper to restore from ends early.
    /// </summary>
    bool SigtermWaiting { get; }

    /// <summary>Asked just before the commit point: a reason abandons the commit.</summary>
    string? WhyNotCommit();

    /// <summary>
    /// A dump that could not take a lazily restored app's memory as it is was dropped, the memory is all in since, and
    /// the app is to be dumped again: the app, which CRIU left stopped, must run again first (CRIU would record it
    /// stopped, and a restore would bring it back so).
    /// </summary>
    void DumpingAgain();
}
