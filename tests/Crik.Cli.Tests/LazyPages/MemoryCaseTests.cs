using System.Diagnostics;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// What a restored app does to its memory while it arrives is what the kernel would make of it, through the
/// fill, a checkpoint taken during the fill, and the next restore of that checkpoint (apps/memory-cases.c, which
/// checks its bytes against what it computes and says "no" where they differ). The background fill is paced, so
/// that most of the app's memory has not arrived when it acts.
/// </summary>
public sealed class MemoryCaseTests : IDisposable
{
    private const string AppMib = "128";
    private static readonly Dictionary<string, string> Slowly = new() { ["CRIK_TEST_FILL_PACE_MS"] = "40" };
    private readonly TempDirectory _build = new();

    /// <summary>
    /// A child forked just after the restore reads its parent's MADV_WIPEONFORK area as zeros, as the kernel gives it (a TLS
    /// library detects a fork by such a page); the parent keeps its bytes. Again after a checkpoint taken during the fill
    /// and its restore on crik's fill.
    /// </summary>
    [CriuFact]
    public void AChildForkedWhileMemoryArrivesReadsAWipeOnForkAreaAsZeros()
    {
        using var pods = new Pods("lazyRestore: on\n");
        string app = CompileApp();
        using (CrikRun pod = ChangedWhileArriving(pods, app, "wipeonfork"))
        {
            AssertSaid(pod, "child zero yes", "child intact yes");
            CheckpointAfterTheFork(pod);
        }
        UseLazyRestore(pods, "off");
        using (CrikRun pod = pods.Start(app, "wipeonfork", AppMib))
        {
            pod.WaitForLine("Restored checkpoint 2 ", TimeSpan.FromSeconds(90), stderr: true);
            pod.WaitForLine("changed 2", TimeSpan.FromSeconds(90));
            AssertSaid(pod, "child zero yes", "child intact yes");
            AssertIntact(pod);
        }
    }

    /// <summary>
    /// A child forked with a MADV_DONTFORK area has no such area: crik fills the rest of the child and its parent, and the
    /// memory is all in (a page crik could not place would fail the fill).
    /// </summary>
    [CriuFact]
    public void AChildForkedWithADontForkAreaIsFilledWithoutIt()
    {
        using var pods = new Pods("lazyRestore: on\n");
        using CrikRun pod = ChangedWhileArriving(pods, CompileApp(), "dontfork");
        AssertSaid(pod, "child intact yes");
        pod.WaitForLine("memory is all in", TimeSpan.FromSeconds(120), stderr: true);
        AssertIntact(pod);
    }

    /// <summary>
    /// An area locked with mlock2(MLOCK_ONFAULT) before its pages arrived, then a checkpoint taken during the fill: CRIU
    /// does not restore a locked area lazily, so its pages, taken from the checkpoint restored, are restored by CRIU
    /// itself, and the app finds its bytes after a lazy restore and after one on crik's fill.
    /// </summary>
    [CriuFact]
    public void AnAreaLockedOnFaultWhileMemoryArrivesKeepsItsBytesThroughACheckpointDuringTheFill()
    {
        using var pods = new Pods("lazyRestore: on\n");
        string app = CompileApp();
        using (CrikRun pod = ChangedWhileArriving(pods, app, "lockonfault"))
        {
            AssertSaid(pod, "locked yes");
            CheckpointDuringTheFill(pod);
        }
        RestoreEachWayAndCheck(pods, app, "lockonfault");
    }

    /// <summary>
    /// The app changes the shape of its memory just after a lazy restore, before those areas arrived, and a checkpoint is
    /// taken during the fill: the next restore, lazily (checked while its memory arrives) and on crik's fill, has every
    /// byte where the kernel had it: moved bytes where they went, zeros where the app dropped, unmapped or mapped anew.
    /// </summary>
    [CriuTheory]
    [InlineData("mprotect")]
    [InlineData("munmapfixed")]
    [InlineData("fixedover")]
    [InlineData("mremapgrow")]
    [InlineData("shrinkmove")]
    [InlineData("dontneed")]
    public void WhatTheAppReshapedWhileItsMemoryArrivedIsKeptThroughACheckpointDuringTheFill(string which)
    {
        using var pods = new Pods("lazyRestore: on\n");
        string app = CompileApp();
        using (CrikRun pod = ChangedWhileArriving(pods, app, which))
        {
            CheckpointDuringTheFill(pod);
        }
        RestoreEachWayAndCheck(pods, app, which);
    }

    public void Dispose() => _build.Dispose();

    private string CompileApp()
    {
        string binary = Path.Combine(_build.Path, "memory-cases");
        using var gcc = Process.Start(new ProcessStartInfo("gcc", ["-O2", "-Wall", "-Werror", "-o", binary, Paths.App("memory-cases.c")]) { RedirectStandardError = true })!;
        string errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        Assert.True(gcc.ExitCode == 0, $"gcc failed: {errors}");
        return binary;
    }

    /// <summary>The app checkpointed once, then restored lazily with its fill paced, having done what <paramref name="which"/> says ("changed 1").</summary>
    private static CrikRun ChangedWhileArriving(Pods pods, string app, string which)
    {
        using (CrikRun first = pods.Start(app, which, AppMib))
        {
            first.WaitForLine("allocated " + AppMib, TimeSpan.FromSeconds(60));
            first.WaitForLine(_ => Pods.Counts(first).Count >= 2);
            Pods.CheckpointAndStopForAClockJump(first);
        }
        CrikRun pod = pods.StartWith(Slowly, app, which, AppMib);
        try
        {
            Assert.Contains(", lazily (", pod.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(90), stderr: true), StringComparison.Ordinal);
            pod.WaitForLine("changed 1", TimeSpan.FromSeconds(90));
            return pod;
        }
        catch
        {
            pod.Dispose();
            throw;
        }
    }

    /// <summary>A SIGTERM with the memory still arriving: the checkpoint takes the pages not yet filled from the checkpoint restored.</summary>
    private static void CheckpointDuringTheFill(CrikRun pod)
    {
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("memory is all in", StringComparison.Ordinal));
        Pods.CheckpointAndStopForAClockJump(pod);
        pod.WaitForLine("not waited for", stderr: true);
        AssertNoFailure(pod);
    }

    /// <summary>
    /// A SIGTERM with the memory still arriving and a child forked since the restore: crik does not know the child's PID
    /// (it has exited, but crik has not heard), so the checkpoint waits for the memory to be all in.
    /// </summary>
    private static void CheckpointAfterTheFork(CrikRun pod)
    {
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("memory is all in", StringComparison.Ordinal));
        Pods.CheckpointAndStopForAClockJump(pod);
        AssertNoFailure(pod);
    }

    /// <summary>
    /// Checkpoint 2 restored lazily with its fill paced (the app's check reads its memory while it arrives), then again on
    /// crik's fill; the app checks every byte after each.
    /// </summary>
    private static void RestoreEachWayAndCheck(Pods pods, string app, string which)
    {
        foreach (string lazyRestore in new[] { "on", "off" })
        {
            UseLazyRestore(pods, lazyRestore);
            using CrikRun pod = lazyRestore == "on" ? pods.StartWith(Slowly, app, which, AppMib) : pods.Start(app, which, AppMib);
            pod.WaitForLine("Restored checkpoint 2 ", TimeSpan.FromSeconds(90), stderr: true);
            pod.WaitForLine("changed 2", TimeSpan.FromSeconds(90));
            AssertIntact(pod);
            pod.Signal(Native.SIGKILL); // no checkpoint: the next pod restores checkpoint 2 again, the other way
            pod.WaitForExit(TimeSpan.FromSeconds(30));
            Thread.Sleep(TimeSpan.FromSeconds(1.5));
        }
    }

    private static void UseLazyRestore(Pods pods, string value) =>
        File.WriteAllText(pods.ConfigPath, $"imageDir: {pods.ImageDir}\nlazyRestore: {value}\n");

    private static void AssertSaid(CrikRun pod, params string[] lines)
    {
        foreach (string line in lines)
        {
            string asked = line[..(line.LastIndexOf(' ') + 1)]; // "child zero " for "child zero yes"
            string said = pod.WaitForLine(l => l.StartsWith(asked, StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            Assert.True(said == line, $"expected \"{line}\", the app said \"{said}\"\n{pod.Transcript}");
        }
        AssertNoFailure(pod);
    }

    private static void AssertIntact(CrikRun pod)
    {
        pod.Signal(Native.SIGUSR1);
        string said = pod.WaitForLine(l => l.StartsWith("intact ", StringComparison.Ordinal), TimeSpan.FromSeconds(120));
        Assert.True(said == "intact yes", pod.Transcript);
        AssertNoFailure(pod);
    }

    private static void AssertNoFailure(CrikRun pod)
    {
        Assert.DoesNotContain(pod.Stdout, l => l.StartsWith("change failed", StringComparison.Ordinal) || l.EndsWith(" no", StringComparison.Ordinal));
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("nobody looked at it", StringComparison.Ordinal));
    }
}
