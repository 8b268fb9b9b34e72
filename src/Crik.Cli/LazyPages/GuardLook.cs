using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Where a fill looks for the guard pages one process installed (<see cref="GuardPages"/>): its /proc/PID/pagemap, opened at
/// the first look, or nothing once the kernel could not tell (before 6.15) or the process could not be looked at.
/// </summary>
internal sealed class GuardLook : IDisposable
{
    private SafeFileHandle? _pagemap;
    private bool _unknowable;

    /// <summary>The runs of guard pages in [<paramref name="start"/>, <paramref name="end"/>) of process <paramref name="pid"/>; none when crik cannot tell.</summary>
    public List<(ulong Start, ulong End)> In(int pid, ulong start, ulong end)
    {
        if (_unknowable)
        {
            return [];
        }
        try
        {
            _pagemap ??= File.OpenHandle($"/proc/{pid}/pagemap");
            return GuardPages.In(_pagemap, start, end);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _unknowable = true;
            return [];
        }
    }

    public void Dispose() => _pagemap?.Dispose();
}
