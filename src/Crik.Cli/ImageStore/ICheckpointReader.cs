namespace Crik.Cli.ImageStore;

/// <summary>
/// Reads what a committed generation holds: its saved files, its images written out as files, its packs of chunks.
/// </summary>
internal interface ICheckpointReader
{
    void PutBackSavedFiles(RestoreAttempt attempt);

    ImageFiles WriteImageFiles(RestoreAttempt attempt);

    /// <param name="callerRetries">The caller waits out a store that does not answer itself: a request is tried twice more within a few tenths of a second at most, and cut when it stalls.</param>
    Chunks.PackReader OpenPackReader(bool callerRetries = false);

    /// <summary>
    /// Keeps the packs <paramref name="manifest"/> uses until the result is disposed, whatever retention says: a lazy fill reads
    /// them while checkpoints of the running app are committed.
    /// </summary>
    IDisposable KeepPacks(Records.Manifest manifest);
}
