namespace Crik.NodeStateServer.Kubernetes;

/// <summary>
/// The watch can no longer be trusted to describe the cluster: it went silent, or sent something that is not a
/// usable event (<see cref="BadData"/>). Resuming from its resourceVersion could skip what it failed to say,
/// so only a fresh list helps.
/// </summary>
internal sealed class WatchAbandonedException(string message, bool badData = true, Exception? inner = null) : Exception(message, inner)
{
    public bool BadData { get; } = badData;
}
