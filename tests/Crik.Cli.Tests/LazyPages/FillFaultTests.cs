using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// What a bug in crik's own fill does to a lazily restored app: each thread that serves the app's memory
/// is made to throw an exception of a type it does not expect (CRIK_FAULT, the Debug build's fault seam).
/// The app is killed before it could read a page that did not arrive and the pod ends with 125 and the
/// stack, or, before the app ran, the restore goes on eagerly; crik never dies of the exception, and the
/// checkpoint is there for the next pod. A lazy start whose CRIU cannot even be started leaves none of
/// the fill's threads or descriptors behind.
/// </summary>
public sealed class FillFaultTests
{
    private static readonly string[] App = ["python3", Paths.App("forking-memory.py"), "64"];

    [CriuTheory]
    [InlineData("crik memory filler", true)]
    [InlineData("crik userfaultfd events", true)]
    [InlineData("crik page copy", false)]
    [InlineData("crik chunk reader", false)]
    [InlineData("crik userfaultfd handoff", false)]
    public void AnUnexpectedExceptionOnAFillThreadKillsTheAppFirstOrFallsBackAndTheCheckpointStays(string thread, bool afterTheAppRuns)
    {
        using var pods = new Pods("lazyRestore: on\n");
        using (CrikRun first = pods.Start(App))
        {
            first.WaitForLine("allocated 64", TimeSpan.FromSeconds(60));
            Pods.CheckpointAndStopBetweenForks(first);
        }
        using (CrikRun faulty = pods.StartWith(new Dictionary<string, string> { ["CRIK_FAULT"] = thread }, App))
        {
            string outcome = faulty.WaitForLine(l => l.Contains("could not all be brought in", StringComparison.Ordinal)
                || l.Contains("restoring it with all its memory first", StringComparison.Ordinal), TimeSpan.FromSeconds(90), stderr: true);
            // The line says what failed, its stack after it in the same line (its line breaks written as \n).
            Assert.Contains($"{thread} failed unexpectedly: Crik.Cli.Processes.FaultSeamException: a fault the tests asked for at \"{thread}\" (CRIK_FAULT)"
                + @"\n   at Crik.Cli.", outcome, StringComparison.Ordinal);
            bool killed = outcome.Contains("could not all be brought in", StringComparison.Ordinal);
            Assert.True(killed || !afterTheAppRuns, faulty.Transcript);
            if (killed)
            {
                Assert.Equal(125, faulty.WaitForExit(TimeSpan.FromSeconds(30)));
                Assert.Contains("The checkpoint stays", outcome, StringComparison.Ordinal);
            }
            else
            {
                faulty.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
                AppIsWhole(faulty);
                faulty.Signal(Native.SIGKILL);
            }
            Assert.DoesNotContain(faulty.Stdout, l => l.EndsWith("intact no", StringComparison.Ordinal));
            Assert.DoesNotContain(faulty.Stderr, l => l.Contains("Unhandled exception", StringComparison.Ordinal));
        }
        using CrikRun next = pods.Start(App);
        next.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        AppIsWhole(next);
        next.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void ALazyStartWhoseCriuCannotBeStartedLeavesNoThreadOrDescriptorBehind()
    {
        // Without criu on the PATH: python3 named by its path, so that every pod runs the same executable (the same app).
        string[] app = ["/usr/bin/python3", .. App[1..]];
        using var pods = new Pods("lazyRestore: on\n");
        Dictionary<string, string> withoutCriu = new() { ["PATH"] = "/usr/bin:/bin" };
        (List<string> Threads, List<string> Descriptors) fresh;
        using (CrikRun first = pods.StartWith(withoutCriu, app))
        {
            first.WaitForLine("allocated 64", TimeSpan.FromSeconds(60));
            Thread.Sleep(1000); // past crik's start: the threads and descriptors it keeps while the app runs
            fresh = Resources(first.CrikPid);
        }
        // The first pod could not checkpoint without criu: take the checkpoint with it.
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("allocated 64", TimeSpan.FromSeconds(60));
            Pods.CheckpointAndStopBetweenForks(first);
        }

        using CrikRun second = pods.StartWith(withoutCriu, app);
        Assert.Contains("The checkpoint stays", second.WaitForLine("Cannot run criu to restore checkpoint 1", TimeSpan.FromSeconds(60), stderr: true), StringComparison.Ordinal);
        second.WaitForLine("allocated 64", TimeSpan.FromSeconds(60));
        // What a failed start lets go of, it lets go of at once: the pod comes to look as the fresh one did, or the asserts say how not.
        (List<string> threads, List<string> descriptors) = Resources(second.CrikPid);
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); !LookAlike((threads, descriptors), fresh) && clock.Elapsed < TimeSpan.FromSeconds(20);)
        {
            Thread.Sleep(100);
            (threads, descriptors) = Resources(second.CrikPid);
        }
        Assert.DoesNotContain(threads, t => t.StartsWith("crik chunk", StringComparison.Ordinal) || t.StartsWith("crik fault", StringComparison.Ordinal)
            || t.StartsWith("crik memory", StringComparison.Ordinal) || t.StartsWith("crik userfault", StringComparison.Ordinal));
        Assert.DoesNotContain(descriptors, d => d.Contains("packs", StringComparison.Ordinal) || d.Contains("userfaultfd", StringComparison.Ordinal));
        Assert.Equal(fresh.Descriptors, descriptors); // the same as a pod that never tried: every pack, socket and userfaultfd let go
        Assert.Equal(fresh.Threads.Where(IsCriks), threads.Where(IsCriks));
        second.Signal(Native.SIGKILL);
    }

    private static bool IsCriks(string thread) => thread.StartsWith("crik ", StringComparison.Ordinal);

    private static bool LookAlike((List<string> Threads, List<string> Descriptors) pod, (List<string> Threads, List<string> Descriptors) fresh) =>
        pod.Descriptors.SequenceEqual(fresh.Descriptors) && pod.Threads.Where(IsCriks).SequenceEqual(fresh.Threads.Where(IsCriks));

    /// <summary>crik's named threads and its descriptors (what each is: a file's path, or the kind of a socket, pipe or inode), sorted.</summary>
    private static (List<string> Threads, List<string> Descriptors) Resources(int pid)
    {
        List<string> threads = Directory.GetDirectories($"/proc/{pid}/task").Select(t => File.ReadAllText(Path.Combine(t, "comm")).Trim()).Order(StringComparer.Ordinal).ToList();
        List<string> descriptors = Directory.GetFiles($"/proc/{pid}/fd")
            .Select(fd => new FileInfo(fd).LinkTarget ?? "")
            .Where(target => !target.EndsWith(".dll", StringComparison.Ordinal)) // the Debug build's JIT opens assemblies as it needs them
            .Select(target => System.Text.RegularExpressions.Regex.Replace(target, @"[:\[]\d+\]?$", ""))
            .Select(target => System.Text.RegularExpressions.Regex.Replace(target, @"/tmp/[^/]+/", "/tmp/X/"))
            .Order(StringComparer.Ordinal).ToList();
        return (threads, descriptors);
    }

    private static void AppIsWhole(CrikRun pod)
    {
        int from = pod.Stdout.Count;
        pod.WaitForLine(_ => pod.Stdout.Skip(from).Any(l => l == "child intact yes"), TimeSpan.FromSeconds(60));
        Assert.DoesNotContain(pod.Stdout, l => l.EndsWith("intact no", StringComparison.Ordinal));
    }
}
