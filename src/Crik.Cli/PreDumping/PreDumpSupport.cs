using Crik.Cli.Carrying;
using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Serilog;

namespace Crik.Cli.PreDumping;

/// <summary>Whether crik pre-dumps: preDumpInterval is set and the kernel tracks dirty memory, decided once at start and said once.</summary>
internal static class PreDumpSupport
{
    /// <summary>
    /// Set to 1, pre-dumps go on without dirty-memory tracking, as whole dumps that leave the app
    /// running. For tests of everything around pre-dumps on kernels without tracking; it saves nothing.
    /// </summary>
    public const string WithoutTrackingVariable = "CRIK_TEST_PRE_DUMP_WITHOUT_DIRTY_TRACKING";

    public static PreDumpChain? ChainFor(CrikConfig config, CriuRunner criu, ILogger log)
    {
        if (config.PreDumpInterval is not { } interval)
        {
            return null;
        }
        string temporary = Path.GetTempPath().TrimEnd('/');
        if (PreDumpChain.DeleteStale(temporary) is > 0 and var deleted)
        {
            log.Information("Deleted {Count} pre-dump directories in {Dir} that a crik killed earlier left behind", deleted, temporary);
        }
        bool? tracks = criu.HasFeatureAsync("mem_dirty_track").GetAwaiter().GetResult();
        bool testMode = Environment.GetEnvironmentVariable(WithoutTrackingVariable) == "1";
        if ((tracks == true || testMode) && InMemory(temporary) is { } fileSystem)
        {
            log.Warning("preDumpInterval is set, but {Dir} is a {FileSystem} (memory): pre-dumps there would count against the pod's memory "
                + "and could get the app killed, so crik does not pre-dump. Mount a disk-backed emptyDir on /tmp (or set TMPDIR to one)",
                temporary, fileSystem);
            return null;
        }
        if (tracks == true)
        {
            log.Information("Pre-dumping the app every {Interval}: a checkpoint then freezes it only for the memory changed since the last pre-dump",
                DurationText(interval));
            return new PreDumpChain(criu, tracksMemory: true, log);
        }
        string why = tracks is null
            ? "crik could not run criu check to learn whether this kernel tracks dirty memory"
            : "this kernel does not track dirty memory (criu check --feature mem_dirty_track fails; it needs CONFIG_MEM_SOFT_DIRTY)";
        if (testMode)
        {
            log.Warning("preDumpInterval is set, but {Why}; {Variable}=1: pre-dumping with whole dumps instead (a test mode that saves nothing)",
                why, WithoutTrackingVariable);
            return new PreDumpChain(criu, tracksMemory: false, log);
        }
        log.Warning("preDumpInterval is set, but {Why}: crik does not pre-dump, and each checkpoint dumps all of the app's memory "
            + "(chunks the image directory already holds are still not written again)", why);
        return null;
    }

    /// <summary>"tmpfs" or "ramfs" when <paramref name="directory"/> is on a file system in memory, else null.</summary>
    private static string? InMemory(string directory)
    {
        try
        {
            string? fileSystem = MountTable.Read().Containing(Path.GetFullPath(directory))?.FileSystem;
            return fileSystem is "tmpfs" or "ramfs" ? fileSystem : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string DurationText(TimeSpan interval) =>
        interval.TotalSeconds % 60 == 0 ? $"{interval.TotalMinutes:0.##} min" : $"{interval.TotalSeconds:0.###} s";
}
