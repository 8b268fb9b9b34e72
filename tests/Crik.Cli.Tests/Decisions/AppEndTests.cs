using Crik.Cli.Decisions;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>What counts as the app's own end (its checkpoints retired) and what does not (they stay).</summary>
[Trait("Category", "Unit")]
public sealed class AppEndTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("crik-cgroup-").FullName;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(137)]
    [InlineData(255)]
    public void AnExitOfAnyCodeIsTheAppsOwnEnd(int code)
    {
        AppEnd end = AppEnd.Exited(code);
        Assert.True(end.OnItsOwn);
        Assert.Equal($"exited with code {code}", end.Cause);
    }

    [Theory]
    [InlineData(15)]
    [InlineData(2)]
    [InlineData(1)]
    public void DeathByASignalCrikForwardedIsTheAppsOwnEnd(int number)
    {
        var signal = (Signal)number;
        AppEnd end = AppEnd.Killed(Posix.SignalName(signal), forwarded: true, sigkill: signal == Signal.SIGKILL, null);
        Assert.True(end.OnItsOwn);
        Assert.Contains("which crik forwarded to it", end.Cause, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(11)]
    [InlineData(7)]
    [InlineData(6)]
    [InlineData(15)]
    public void DeathByASignalCrikDidNotForwardIsNotTheAppsEnd(int number)
    {
        var signal = (Signal)number;
        AppEnd end = AppEnd.Killed(Posix.SignalName(signal), forwarded: false, sigkill: signal == Signal.SIGKILL, null);
        Assert.False(end.OnItsOwn);
        Assert.Contains($"{Posix.SignalName(signal)}, which crik did not send", end.Cause, StringComparison.Ordinal);
    }

    [Fact]
    public void ASigkillWhileTheOomKillersCountRoseIsTheOomKiller()
    {
        AppEnd end = KilledBySigkill(new OomKillCounts(2, 3, "/sys/fs/cgroup/memory.events"));
        Assert.False(end.OnItsOwn);
        Assert.True(end.OomKilled);
        Assert.StartsWith("was killed by the kernel's OOM killer (SIGKILL; oom_kill in /sys/fs/cgroup/memory.events went from 2 to 3)", end.Cause, StringComparison.Ordinal);
    }

    [Fact]
    public void ASigkillWithTheCountUnchangedIsAPersonAndOneWithoutACountIsEither()
    {
        Assert.False(KilledBySigkill(new OomKillCounts(2, 2, "x")).OomKilled);
        Assert.False(KilledBySigkill(null).OomKilled);
        Assert.Contains("a person or another program", KilledBySigkill(new OomKillCounts(2, 2, "x")).Cause,
            StringComparison.Ordinal);
        Assert.Contains("the kernel's OOM killer or a person", KilledBySigkill(null).Cause,
            StringComparison.Ordinal);
    }

    [Fact]
    public void OnCgroupV1TheCountIsSummedOverCriksCgroupAndEveryOneBelowIt()
    {
        Write("memory/pod/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
        Write("memory/pod/child/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
        Write("memory/other/memory.oom_control", "oom_kill 50\n");
        OomKills? read = OomKills.Read(["4:memory:/pod", "0::/"], _root);
        Assert.Equal(5, read!.Count);
        Assert.Equal(Path.Combine(_root, "memory/pod/memory.oom_control"), read.Where);
    }

    [Fact]
    public void InsideACgroupNamespaceTheCgroupIsTheMountsRoot()
    {
        Write("memory/memory.oom_control", "oom_kill 7\n");
        Assert.Equal(7, OomKills.Read(["4:memory:/kubepods/pod1/abc"], _root)!.Count);
    }

    [Fact]
    public void OnCgroupV2TheCountIsMemoryEventsOomKill()
    {
        Write("kubepods/pod1/memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n");
        OomKills? read = OomKills.Read(["0::/kubepods/pod1"], _root);
        Assert.Equal(1, read!.Count);
        Assert.Null(OomKills.Read(["0::/elsewhere"], Path.Combine(_root, "none")));
    }

    private static AppEnd KilledBySigkill(OomKillCounts? oomKills) => AppEnd.Killed("SIGKILL", forwarded: false, sigkill: true, oomKills);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string relative, string content)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
