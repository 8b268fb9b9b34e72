using System.Text.RegularExpressions;
using Crik.TestSupport;

namespace Crik.Cli.Tests.Support;

/// <summary>
/// A StatefulSet's worth of pods on one machine: one image directory and configuration, and a new
/// crik as PID 1 in fresh namespaces for each "pod".
/// </summary>
internal sealed partial class Pods : IDisposable
{
    public Pods(string extraConfig = "")
    {
        Root = Directory.CreateTempSubdirectory("crik-pods-").FullName;
        ImageDir = Path.Combine(Root, "images");
        ConfigPath = Path.Combine(Root, "config.yaml");
        File.WriteAllText(ConfigPath, $"imageDir: {ImageDir}\n{extraConfig}");
    }

    public string Root { get; }

    public string ImageDir { get; }

    public string ConfigPath { get; }

    /// <summary>
    /// A PATH whose <c>criu</c> runs <paramref name="firstLine"/> (a shell line that may exec a stand-in, or set CRIU's fault
    /// injection for one command), then execs the real criu, so that criu's PID is the one crik started.
    /// </summary>
    public Dictionary<string, string> PathWithStandInCriu(string firstLine)
    {
        string bin = Directory.CreateDirectory(Path.Combine(Root, "bin")).FullName;
        string realCriu = Prerequisites.FindOnPath("criu") ?? throw new InvalidOperationException("criu is not on PATH");
        File.WriteAllText(Path.Combine(bin, "criu"), $"#!/bin/sh\n{firstLine}\nexec {realCriu} \"$@\"\n");
        File.SetUnixFileMode(Path.Combine(bin, "criu"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new Dictionary<string, string> { ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}" };
    }

    public CrikRun Start(params string[] command) => CrikRun.Start(["run", "--config", ConfigPath, "--", .. command]);

    /// <summary>Starts a pod with these environment variables for crik (and so for the app).</summary>
    public CrikRun StartWith(IDictionary<string, string> environment, params string[] command) =>
        CrikRun.Start(["run", "--config", ConfigPath, "--", .. command], environment: environment);

    /// <summary>Starts a pod with these environment variables, running <paramref name="insideNamespaces"/> (a shell command) in its namespaces before crik.</summary>
    public CrikRun StartInside(string insideNamespaces, IDictionary<string, string> environment, params string[] command) =>
        CrikRun.Start(["run", "--config", ConfigPath, "--", .. command], environment: environment, insideNamespaces: insideNamespaces);

    /// <summary>Starts a pod whose <paramref name="scratch"/> is a tmpfs of its own, empty, as a new container's /dev/shm is.</summary>
    public CrikRun StartWithOwnTmpfs(string scratch, params string[] command)
    {
        Directory.CreateDirectory(scratch);
        return CrikRun.Start(["run", "--config", ConfigPath, "--", .. command], insideNamespaces: $"mount -t tmpfs -o mode=0755 crik-test {scratch}");
    }

    /// <summary>Takes checkpoint <paramref name="generation"/> on demand (<c>crik checkpoint</c>), the app running on.</summary>
    public static void CheckpointOnDemand(CrikRun pod, int generation)
    {
        Poll.Until(() => File.Exists(pod.ControlSocket), $"crik's control socket\n{pod.Transcript}");
        (int code, string output, string error) = CrikCommand.Run(["checkpoint"], new Dictionary<string, string> { ["CRIK_CONTROL_SOCKET"] = pod.ControlSocket });
        Xunit.Assert.True(code == 0, $"{output}{error}\n{pod.Transcript}");
        pod.WaitForLine($"Checkpoint {generation} committed", stderr: true);
    }

    /// <summary>Waits until crik says it is in the test pause <paramref name="variable"/> sets (one of a second or more), for the <paramref name="nth"/> time.</summary>
    public static void WaitForPause(CrikRun pod, string variable, int nth = 1)
    {
        bool IsPause(string line) => line.StartsWith("crik test: pausing", StringComparison.Ordinal) && line.EndsWith($" at {variable}", StringComparison.Ordinal);
        pod.WaitForLine(_ => pod.Stderr.Count(IsPause) >= nth, TimeSpan.FromSeconds(60), stderr: true);
    }

    /// <summary>Sends SIGTERM, runs <paramref name="meanwhile"/> (a step of the test while crik checkpoints), expects a committed checkpoint and exit code 0.</summary>
    public static void CheckpointAndStop(CrikRun pod, Action? meanwhile = null)
    {
        pod.Signal(Native.SIGTERM);
        meanwhile?.Invoke();
        int code = pod.WaitForExit(TimeSpan.FromSeconds(60));
        Xunit.Assert.True(code == 0, $"crik should exit 0 after a checkpoint, got {code}\n{pod.Transcript}");
        pod.WaitForLine("committed", stderr: true);
    }

    /// <summary>
    /// <see cref="CheckpointAndStop"/> at a moment when the app has no child: an app that forks a
    /// short-lived child now and then (forking-memory.py) is otherwise checkpointed with it now and
    /// then, and the memory it shares with that child is restored before the app runs (ForkSharing).
    /// </summary>
    public static void CheckpointAndStopBetweenForks(CrikRun pod)
    {
        WaitBetweenForks(pod);
        CheckpointAndStop(pod);
    }

    /// <summary>
    /// Waits for the moment a child the app forked has ended, when the next fork is furthest away
    /// (forking-memory.py forks every two seconds or so); at once when the app forks none for five seconds.
    /// </summary>
    public static void WaitBetweenForks(CrikRun pod)
    {
        bool HasChild() => ProcessTable.DescendantsOf(pod.CrikPid).Count(e => e.State != 'Z') > 1;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!HasChild())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(5))
            {
                return;
            }
            Thread.Sleep(5);
        }
        Poll.Until(() => !HasChild(), $"the app's child to end\n{pod.Transcript}");
    }

    /// <summary>
    /// Sends SIGTERM and expects it to reach the app (a script that traps TERM, prints "app-got-term"
    /// and exits with <paramref name="appExitCode"/>) with no checkpoint committed.
    /// </summary>
    public void SigtermReachesTheAppWithoutACheckpoint(CrikRun pod, int appExitCode)
    {
        pod.Signal(Native.SIGTERM);
        pod.WaitForLine("app-got-term");
        Xunit.Assert.Equal(appExitCode, pod.WaitForExit());
        Xunit.Assert.Empty(Committed());
    }

    /// <summary>
    /// For apps/chunky-memory.py: its unchanging memory checks out after the restore ("intact yes"),
    /// and it went on from where it was, not from 0.
    /// </summary>
    public static void AppIsWhole(CrikRun pod)
    {
        int from = pod.Stdout.Count;
        // A restore can land just before an "intact" line, so its count line may come after it.
        pod.WaitForLine(_ => pod.Stdout.Skip(from).Any(l => l.StartsWith("intact ", StringComparison.Ordinal)) && Counts(pod).Count > 0, TimeSpan.FromSeconds(60));
        Xunit.Assert.DoesNotContain(pod.Stdout, l => l == "intact no");
        Xunit.Assert.True(Counts(pod)[0] > 0, pod.Transcript);
    }

    public List<string> Committed() =>
        Directory.Exists(ImageDir) ? Directory.GetDirectories(ImageDir, "checkpoint-*").Select(Path.GetFileName).OfType<string>().Order().ToList() : [];

    /// <summary>CRIU's log of generation N's dump.</summary>
    public string DumpLog(int generation) => File.ReadAllText(Path.Combine(ImageDir, "logs", $"dump-{generation:D6}.log"));

    /// <summary>The pack file generation N wrote its new chunks into.</summary>
    public string Pack(int generation) => Path.Combine(ImageDir, "packs", $"{generation:D6}.pack");

    /// <summary>
    /// Flips one byte in a chunk in the middle of checkpoint 1's largest pages image (an app's random memory): CRIU leaves it
    /// lazy, so a lazy restore reads it only once the app runs, and finds it does not match its checksum.
    /// </summary>
    public void DamageAChunkInTheMiddle()
    {
        System.Text.Json.Nodes.JsonArray pages = StreamedImages(Manifest()).Where(i => i.Key.StartsWith("pages-", StringComparison.Ordinal)).MaxBy(i => i.Value.Count).Value;
        System.Text.Json.Nodes.JsonNode chunk = pages[pages.Count / 2]!;
        using var file = File.Open(Pack((int)(long)chunk["pack"]!), FileMode.Open, FileAccess.ReadWrite);
        file.Position = (long)chunk["offset"]! + ((int)chunk["length"]! / 2);
        int b = file.ReadByte();
        file.Position--;
        file.WriteByte((byte)(b ^ 0xff));
    }

    /// <summary>The manifest of a committed checkpoint (or one elsewhere, by directory), as JSON.</summary>
    public System.Text.Json.Nodes.JsonNode Manifest(string checkpoint = "checkpoint-000001") =>
        System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(ImageDir, checkpoint, "manifest.json")))!;

    /// <summary>The streamed images a manifest lists (name → its chunks).</summary>
    public static Dictionary<string, System.Text.Json.Nodes.JsonArray> StreamedImages(System.Text.Json.Nodes.JsonNode manifest) =>
        manifest["files"]!.AsArray().Where(f => f!["chunks"] is System.Text.Json.Nodes.JsonArray)
            .ToDictionary(f => (string)f!["path"]!, f => f!["chunks"]!.AsArray());

    public List<string> SetAside()
    {
        string dir = Path.Combine(ImageDir, "set-aside");
        return Directory.Exists(dir) ? Directory.GetDirectories(dir).Order().ToList() : [];
    }

    /// <summary>The numbers of the "LABEL N" lines a pod printed, in order.</summary>
    public static List<int> Counts(CrikRun pod, string label = "count") =>
        pod.Stdout.Select(l => CountLine().Match(l)).Where(m => m.Success && m.Groups[1].Value == label)
            .Select(m => int.Parse(m.Groups[2].Value)).ToList();

    [GeneratedRegex(@"^(\w+) (\d+)$")]
    private static partial Regex CountLine();

    /// <summary>A shell loop that prints "LABEL N" every 0.1 s, N going up.</summary>
    public static string Counter(string label = "count") =>
        $"i=0; while :; do echo \"{label} $i\"; i=$((i+1)); sleep 0.1; done";

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
