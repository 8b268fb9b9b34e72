
namespace Crik.Cli.Interop;

/// <summary>The image directory's lock: a volume's flock, or object storage's lease.</summary>
internal interface IStoreLock : IDisposable
{
    /// <summary>The lock is no longer ours, or may not be: nothing may be written under it.</summary>
    bool Lost { get; }

    /// <summary>Renewals are failing: unless one succeeds soon, the lock will be lost (a flock never is).</summary>
    bool Endangered { get; }
}
