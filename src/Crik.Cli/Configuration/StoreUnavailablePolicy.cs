namespace Crik.Cli.Configuration;

/// <summary>What to do at start when crik cannot tell whether the image directory holds a checkpoint (it cannot list, lock or read it).</summary>
internal enum StoreUnavailablePolicy
{
    /// <summary>Start nothing: retry for lockWait, then exit 125 so that Kubernetes starts the pod again.</summary>
    Wait,

    /// <summary>Start the app fresh at once: a checkpoint there is not resumed, and an older pod behind a partition may still run its copy.</summary>
    Start,
}
