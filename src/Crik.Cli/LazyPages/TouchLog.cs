using Crik.Cli.Criu;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

/// <summary>
/// The pages a lazily restored app waited for, in the order it did, up to <see cref="Limit"/> of them: the next
/// checkpoint records them, and a lazy restore of it fills them first. Runs of pages touched one after the other
/// are one range. Safe from several threads.
/// </summary>
internal sealed class TouchLog
{
    /// <summary>The most pages recorded (64 MiB).</summary>
    public const int Limit = 16384;

    private readonly List<TouchedRange> _touched = [];
    private int _pages;

    /// <summary>The pages recorded, in the order the app waited for them.</summary>
    public IReadOnlyList<TouchedRange> Ranges()
    {
        lock (_touched)
        {
            return [.. _touched];
        }
    }

    /// <summary>Process <paramref name="pid"/> waited for the page dumped at <paramref name="address"/>.</summary>
    public void Record(int pid, ulong address)
    {
        lock (_touched)
        {
            if (_pages >= Limit)
            {
                return;
            }
            _pages++;
            if (_touched.Count > 0 && _touched[^1] is var last && last.Pid == pid && last.Address + ((ulong)last.Pages * (ulong)ImagePage.Bytes) == address)
            {
                _touched[^1] = last with { Pages = last.Pages + 1 };
            }
            else
            {
                _touched.Add(new TouchedRange(pid, address, 1));
            }
        }
    }
}
