using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// Huge pages reserved for a test (<c>vm.nr_hugepages</c>, root only), given back when disposed, and
/// apps/hugetlb-memory.c compiled with gcc into a temporary directory.
/// </summary>
internal sealed class HugePages : IDisposable
{
    private const string Setting = "/proc/sys/vm/nr_hugepages";

    private readonly int _before;

    private HugePages(int before) => _before = before;

    /// <summary>Reserves <paramref name="count"/> more huge pages; null when the kernel gives fewer.</summary>
    public static HugePages? Reserve(int count)
    {
        if (!File.Exists(Setting))
        {
            return null;
        }
        int before = Read();
        var pages = new HugePages(before);
        try
        {
            File.WriteAllText(Setting, (before + count).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (Read() >= before + count)
        {
            return pages;
        }
        pages.Dispose();
        return null;
    }

    /// <summary>Why a test of huge pages cannot run here, or null (it reserves some and gives them back).</summary>
    public static string? Missing()
    {
        if (Prerequisites.MissingForCriu() is { } criu)
        {
            return criu;
        }
        using HugePages? pages = Reserve(16);
        return pages is null ? $"no 16 huge pages can be reserved here ({Setting} cannot be raised by 16: too little free memory, or not root)" : null;
    }

    /// <summary>apps/hugetlb-memory.c built with gcc (the same file for every pod of a test, so that it is the same app).</summary>
    public static string CompileApp(string into)
    {
        return CompiledApp.Build("hugetlb-memory.c", Path.Combine(into, "hugetlb-memory"));
    }

    public void Dispose() => File.WriteAllText(Setting, _before.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static int Read() => int.Parse(File.ReadAllText(Setting).Trim(), System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A theory that restores an app with MAP_HUGETLB mappings: needs root, criu and 16 huge pages; skipped with the reason otherwise.</summary>
public sealed class HugePagesTheoryAttribute : TheoryAttribute
{
    public HugePagesTheoryAttribute()
    {
        if (HugePages.Missing() is { } reason)
        {
            Skip = reason;
        }
    }
}
