using Crik.Cli.Criu;
using Xunit;

namespace Crik.Cli.Tests.Criu;

public class CriuArgumentsTests
{
    private static readonly CriuWorkDir Work = new("/w", "l.log");
    private static readonly ExternalMount[] NullAndZoneinfo = [new("/dev/null", "null"), new("/usr/share/zoneinfo", "zoneinfo")];

    [Fact]
    public void DumpTargetsTheTreeAndLeavesItStoppedForTheCommit()
    {
        List<string> args = CriuArguments.Dump(9001, "/proc/1/fd/7", new CriuWorkDir("/proc/1/fd/7", "dump.log"), []);
        Assert.Equal(["dump", "--tree", "9001", "--images-dir", "/proc/1/fd/7", "--work-dir", "/proc/1/fd/7", "--log-file", "dump.log", "-v3"],
            args.Take(10));
        Assert.Contains("--leave-stopped", args);
    }

    [Fact]
    public void DumpsLogAtInfoLevelAndRestoresAtDebugLevel()
    {
        // CRIU's debug level writes lines for each run of pages dumped: a quarter of a second of a SIGTERM dump of scattered writes.
        Assert.Contains("-v3", CriuArguments.Dump(1, "/d", Work, []));
        Assert.Contains("-v3", CriuArguments.PreDump(1, "/d", Work, [], parent: null));
        Assert.Contains("-v3", CriuArguments.PreDump(1, "/d", Work, [], parent: null, tracksMemory: false));
        Assert.DoesNotContain("-v4", CriuArguments.Dump(1, "/d", Work, [], writtenOnly: true));
        Assert.Contains("-v4", CriuArguments.Restore("/d", Work, "pid", [], new Dictionary<int, string>()));
    }

    [Fact]
    public void DumpReadsAreaFlagsWithBpfOnlyWhereCriuHasTheOption()
    {
        Assert.Contains("--vma-flags-bpf", CriuArguments.Dump(1, "/d", Work, [], areaFlagsByBpf: true));
        Assert.Contains("--vma-flags-bpf", CriuArguments.Dump(1, "/d", Work, [], new PreDumpParent("../p", TracksMemory: true), areaFlagsByBpf: true));
        Assert.DoesNotContain("--vma-flags-bpf", CriuArguments.Dump(1, "/d", Work, [], writtenOnly: true));
    }

    [Theory]
    [InlineData("--tcp-close")]
    [InlineData("--skip-in-flight")]
    [InlineData("--file-locks")]
    [InlineData("--link-remap")]
    [InlineData("--manage-cgroups=ignore")]
    public void DumpHasTheContainerOptions(string option) =>
        Assert.Contains(option, CriuArguments.Dump(1, "/d", Work, []));

    [Fact]
    public void ADumpOnPreDumpsWritesFilesOfWhatChangedSinceTheNewest()
    {
        List<string> args = CriuArguments.Dump(1, "/d", Work, NullAndZoneinfo, new PreDumpParent("../pre-3", TracksMemory: true));
        Assert.DoesNotContain("--stream", args); // CRIU cannot stream a dump that refers to a parent
        Assert.Equal("../pre-3", args[args.IndexOf("--prev-images-dir") + 1]);
        Assert.Contains("--track-mem", args);
        Assert.Contains("--leave-stopped", args);
        Assert.Contains("mnt[/dev/null]:null", args);
    }

    [Fact]
    public void APreDumpTracksMemoryOnTopOfTheOneBefore()
    {
        List<string> first = CriuArguments.PreDump(9001, "/p", Work, NullAndZoneinfo, parent: null);
        Assert.Equal(["pre-dump", "--tree", "9001", "--images-dir", "/p"], first.Take(5));
        Assert.Contains("--track-mem", first);
        Assert.DoesNotContain("--prev-images-dir", first);
        Assert.Contains("mnt[/usr/share/zoneinfo]:zoneinfo", first);
        List<string> next = CriuArguments.PreDump(9001, "/p", Work, [], parent: "../pre-1");
        Assert.Equal("../pre-1", next[next.IndexOf("--prev-images-dir") + 1]);
    }

    [Fact]
    public void WithoutTrackingAPreDumpIsAWholeDumpThatLeavesTheAppRunningAndNothingHasAParent()
    {
        List<string> pre = CriuArguments.PreDump(9001, "/p", Work, [], parent: "../pre-1", tracksMemory: false);
        Assert.Equal("dump", pre[0]);
        Assert.Contains("--leave-running", pre);
        Assert.DoesNotContain("--prev-images-dir", pre);
        Assert.DoesNotContain("--track-mem", pre);
        List<string> dump = CriuArguments.Dump(1, "/d", Work, [], new PreDumpParent("../pre-1", TracksMemory: false));
        Assert.DoesNotContain("--prev-images-dir", dump);
        Assert.DoesNotContain("--stream", dump);
    }

    [Fact]
    public void DumpNeverFreezesEstablishedConnections() =>
        Assert.DoesNotContain("--tcp-established", CriuArguments.Dump(1, "/d", Work, []));

    [Fact]
    public void DumpRaisesTheGhostFileLimit()
    {
        List<string> args = CriuArguments.Dump(1, "/d", Work, []);
        Assert.Equal(CriuArguments.GhostLimit, args[args.IndexOf("--ghost-limit") + 1]);
    }

    [Fact]
    public void DumpMarksExternalMountsByPath()
    {
        List<string> args = CriuArguments.Dump(1, "/d", Work, NullAndZoneinfo);
        Assert.Equal(["--external", "mnt[/dev/null]:null", "--external", "mnt[/usr/share/zoneinfo]:zoneinfo"], args.TakeLast(4));
    }

    [Fact]
    public void RestoreIsDetachedWithAPidFileAndMapsMountsByKey()
    {
        List<string> args = CriuArguments.Restore("/proc/1/fd/8", new CriuWorkDir("/proc/1/fd/8", "r.log"), "r.pid", NullAndZoneinfo,
            new Dictionary<int, string>());
        Assert.Equal(["restore", "--images-dir", "/proc/1/fd/8", "--work-dir", "/proc/1/fd/8", "--restore-detached", "--pidfile", "r.pid",
            "--log-file", "r.log"], args.Take(10));
        Assert.Contains("--tcp-close", args);
        Assert.Contains("--file-locks", args);
        Assert.Contains("--evasive-devices", args);
        Assert.Equal(["--external", "mnt[null]:/dev/null", "--external", "mnt[zoneinfo]:/usr/share/zoneinfo"], args.TakeLast(4));
    }

    [Fact]
    public void RestoreInheritsStdioPipes()
    {
        List<string> args = CriuArguments.Restore("/d", Work, "p.pid", [], new Dictionary<int, string> { [2] = "pipe:[8]", [1] = "pipe:[7]" });
        Assert.Equal(["--inherit-fd", "fd[1]:pipe:[7]", "--inherit-fd", "fd[2]:pipe:[8]"], args.TakeLast(4));
    }

    [Fact]
    public void StdioSharingOnePipeIsInheritedOnce()
    {
        var inherited = CriuArguments.InheritedStdio(["/dev/null", "pipe:[1234]", "pipe:[1234]"]);
        Assert.Equal(new Dictionary<int, string> { [1] = "pipe:[1234]" }, inherited);
    }

    [Fact]
    public void StdioThatIsNotAPipeIsReopenedByPathNotInherited()
    {
        var inherited = CriuArguments.InheritedStdio(["/dev/null", "/var/log/app.log", "socket:[99]"]);
        Assert.Empty(inherited);
    }

    [Fact]
    public void MountPointsAreReadFromMountinfo()
    {
        string[] mountinfo =
        [
            "22 1 0:21 / /dev rw,nosuid - devtmpfs udev rw",
            "40 22 0:5 /null /dev/null rw,nosuid - devtmpfs udev rw",
            "41 1 8:1 /usr/share/zoneinfo /usr/share/zoneinfo ro - ext4 /dev/sda1 ro",
            "42 1 8:1 /x /with\\040space rw - ext4 /dev/sda1 rw",
        ];
        HashSet<string> points = ExternalMounts.MountPoints(mountinfo);
        Assert.Contains("/dev/null", points);
        Assert.Contains("/usr/share/zoneinfo", points);
        Assert.Contains("/with space", points);
        Assert.DoesNotContain("/dev/zero", points);
    }

    [Fact]
    public void CriuIsToldItRunsUnprivilegedUnlessItIsRootWithSysAdmin()
    {
        Assert.Empty(CriuArguments.ForPrivileges(0, hasSysAdmin: true));
        Assert.Equal(["--unprivileged"], CriuArguments.ForPrivileges(0, hasSysAdmin: false));
        Assert.Equal(["--unprivileged"], CriuArguments.ForPrivileges(999, hasSysAdmin: true));
    }

    [Fact]
    public void ALazyRestoreHandsItsMemoryToWhoeverListensInItsWorkDirectoryFromImageFiles()
    {
        List<string> restore = CriuArguments.Restore("/d", Work, "p.pid", [], new Dictionary<int, string>(), lazyPages: true);
        Assert.Contains("--lazy-pages", restore);
        Assert.DoesNotContain("--stream", restore);
        Assert.Equal(Work.Path, restore[restore.IndexOf("--work-dir") + 1]);
        Assert.DoesNotContain("--leave-stopped", restore);
    }

    [Fact]
    public void AnEagerRestoreOnCriksFillLeavesTheTreeStoppedForCrikToLetGo()
    {
        List<string> restore = CriuArguments.Restore("/d", Work, "p.pid", [], new Dictionary<int, string>(), lazyPages: true, leaveStopped: true);
        Assert.Contains("--lazy-pages", restore);
        Assert.Contains("--leave-stopped", restore);
        Assert.DoesNotContain("--action-script", restore);
    }

    [Fact]
    public void ARestoreRunsTheActionScriptItIsGiven()
    {
        List<string> restore = CriuArguments.Restore("/d", Work, "p.pid", [], new Dictionary<int, string>(), lazyPages: true, leaveStopped: true,
            actionScript: "/w/crik-stop-signals.sh");
        Assert.Equal("/w/crik-stop-signals.sh", restore[restore.IndexOf("--action-script") + 1]);
    }
}
