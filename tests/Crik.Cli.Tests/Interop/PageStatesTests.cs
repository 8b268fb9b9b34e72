using System.Diagnostics;
using System.Globalization;
using Crik.Cli.Interop;
using Crik.TestSupport;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace Crik.Cli.Tests.Interop;

/// <summary>
/// What this kernel reports for each state an anonymous page can be in (apps/page-states.c), read as crik reads it: which
/// pages hold bytes for a checkpoint taken while memory arrives (<see cref="ProcPagemap.Holds"/>), and which are guard
/// pages to a fill (<see cref="GuardPages"/>): only the guard, never a page swapped out, freed, or a write-protect marker.
/// </summary>
[Collection("Real processes")]
public sealed class PageStatesTests : IDisposable
{
    private static readonly Dictionary<string, bool> Holds = new(StringComparer.Ordinal)
    {
        ["wp-marker"] = false,
        ["wp-present"] = true,
        ["wp-pagedout"] = true,
        ["wp-dropped"] = false,
        ["wp-freed-reclaimed"] = false,
        ["present"] = true,
        ["pagedout"] = true,
        ["freed"] = true,
        ["freed-reclaimed"] = false,
        ["dropped"] = false,
        ["guard"] = false,
    };

    private readonly TempDirectory _build = new();

    [WriteTrackingFact] // root (the swap type in pagemap needs CAP_SYS_ADMIN), x86-64, Linux 6.7
    public void EachStateIsReadAsWhatItHolds()
    {
        string binary = CompiledApp.Build("page-states.c", Path.Combine(_build.Path, "page-states"));
        using Process app = Process.Start(new ProcessStartInfo(binary) { RedirectStandardInput = true, RedirectStandardOutput = true })!;
        try
        {
            Dictionary<string, ulong> pages = ReadStates(app);
            Assert.Equal(Holds.Keys.Where(k => k != "guard").Order(), pages.Keys.Where(k => k != "guard").Order());
            using SafeFileHandle pagemap = File.OpenHandle($"/proc/{app.Id}/pagemap");
            foreach ((string state, ulong address) in pages)
            {
                ulong entry = Entry(pagemap, address);
                Assert.True(ProcPagemap.Holds(entry) == Holds[state], $"{state}: pagemap entry 0x{entry:x16}");
            }
            List<(ulong Start, ulong End)>? guards = GuardsIn(pagemap, pages.Values.Min(), pages.Values.Max() + (ulong)Environment.SystemPageSize);
            List<(ulong, ulong)> expected = pages.TryGetValue("guard", out ulong guard) ? [(guard, guard + (ulong)Environment.SystemPageSize)] : [];
            if (guards is not null)
            {
                Assert.Equal(expected, guards);
            }
        }
        finally
        {
            app.StandardInput.WriteLine("end");
            app.WaitForExit();
        }
    }

    public void Dispose() => _build.Dispose();

    private static Dictionary<string, ulong> ReadStates(Process app)
    {
        var pages = new Dictionary<string, ulong>(StringComparer.Ordinal);
        for (string? line = app.StandardOutput.ReadLine(); line != "ready"; line = app.StandardOutput.ReadLine())
        {
            Assert.NotNull(line);
            string[] fields = line.Split(' ');
            pages[fields[0]] = ulong.Parse(fields[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        }
        return pages;
    }

    private static ulong Entry(SafeFileHandle pagemap, ulong address)
    {
        Span<byte> entry = stackalloc byte[8];
        Assert.Equal(8, RandomAccess.Read(pagemap, entry, (long)(address / (ulong)Environment.SystemPageSize) * 8));
        return BitConverter.ToUInt64(entry);
    }

    /// <summary>The guard pages crik's fill would leave out; null on a kernel that cannot tell (before 6.15).</summary>
    private static List<(ulong Start, ulong End)>? GuardsIn(SafeFileHandle pagemap, ulong start, ulong end)
    {
        try
        {
            return GuardPages.In(pagemap, start, end);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
