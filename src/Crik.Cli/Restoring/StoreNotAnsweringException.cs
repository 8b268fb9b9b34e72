namespace Crik.Cli.Restoring;

/// <summary>
/// A restore stopped before the app ran because the image store did not answer: what it restored is
/// gone, its record is taken back, and the checkpoint stays as it was; onStoreUnavailable applies.
/// </summary>
internal sealed class StoreNotAnsweringException(string message) : IOException(message);
