
namespace Crik.Cli.Locking;

/// <summary>The image directory's lock: a volume's flock, or object storage's lease.</summary>
internal interface IStoreLock : IDisposable
{
    /// <summary>The lock is no longer ours, or may not be: nothing may be written under it.</summary>
    bool Lost { get; }

    /// <summary>Renewals are failing: the lock is in doubt until one succeeds, or it is forfeited (a flock never is).</summary>
    bool Endangered { get; }

    /// <summary>The lock is surely not ours any more, and cannot become ours again: another holder has it, or the doubt lasted too long.</summary>
    bool Forfeited { get; }
}
