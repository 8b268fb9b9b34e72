using System.Text.Json.Nodes;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>What may be restored: once per generation, only into the same app, never from an unreadable manifest.</summary>
public class RestoreRuleTests
{
    [CriuFact]
    public void ARestoredAppThatFinishesIsNotRestoredAgainByTheNextPod()
    {
        string script = "i=0; while [ $i -lt 30 ]; do echo \"count $i\"; i=$((i+1)); sleep 0.1; done; exit 0";
        using var pods = new Pods();
        using (CrikRun first = pods.Start("sh", "-c", script))
        {
            first.WaitForLine("count 3");
            Pods.CheckpointAndStop(first);
        }
        using (CrikRun second = pods.Start("sh", "-c", script))
        {
            second.WaitForLine("count 29");
            Assert.Equal(0, second.WaitForExit());
            Assert.Contains(second.Stderr, l => l.Contains("Restored checkpoint 1 ", StringComparison.Ordinal));
        }
        using CrikRun third = pods.Start("sh", "-c", script);
        third.WaitForLine("count 0");
        third.WaitForLine("No checkpoint to restore", stderr: true);
        Assert.DoesNotContain(third.Stderr, l => l.Contains("Restor", StringComparison.Ordinal) && !l.Contains("No checkpoint", StringComparison.Ordinal));
        third.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void ACheckpointOfAnotherCommandIsSetAsideAndTheAppStartsFresh()
    {
        using var pods = new Pods();
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter("old")))
        {
            first.WaitForLine("old 2");
            Pods.CheckpointAndStop(first);
        }
        using CrikRun second = pods.Start("sh", "-c", Pods.Counter("new"));
        second.WaitForLine("new 0");
        string why = second.WaitForLine("cannot be restored", stderr: true);
        Assert.Contains("checkpoint 1 is of the command sh -c i=0; while :; do echo \"old $i\"", why, StringComparison.Ordinal);
        Assert.DoesNotContain(second.Stdout, l => l.StartsWith("old", StringComparison.Ordinal));
        Assert.Single(pods.SetAside());
        second.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// A checkpoint of the program this container should run, which is not there (a broken image, a volume not yet mounted):
    /// nothing can tell whether the checkpoint is of it, so it stays, nothing starts, and one line says why and what to do.
    /// </summary>
    [CriuFact]
    public void ACheckpointIsKeptAndNothingStartsWhileItsProgramCannotBeFound()
    {
        using var pods = new Pods();
        string program = Path.Combine(pods.Root, "counter.sh");
        File.WriteAllText(program, "#!/bin/sh\n" + Pods.Counter() + "\n");
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using (CrikRun first = pods.Start(program))
        {
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
        }
        File.Move(program, program + ".away");
        using (CrikRun second = pods.Start(program))
        {
            Assert.Equal(125, second.WaitForExit());
            string why = Assert.Single(second.Stderr, l => l.Contains("has no program", StringComparison.Ordinal));
            Assert.Contains("Every checkpoint in ", why, StringComparison.Ordinal);
            Assert.Empty(second.Stdout);
        }
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.Empty(pods.SetAside());
        File.Move(program + ".away", program);
        using CrikRun third = pods.Start(program);
        third.WaitForLine("Restored checkpoint 1 ", stderr: true);
        third.Signal(Native.SIGKILL);
    }

    /// <summary>A JSON null in a manifest field made every start exit 125 before the app ran (a crash loop).</summary>
    [CriuFact]
    public void AManifestWithANullFieldIsSetAsideAndTheAppStartsFreshInsteadOfCrashLooping()
    {
        using var pods = new Pods();
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
        }
        string manifestPath = Path.Combine(pods.ImageDir, "checkpoint-000001", "manifest.json");
        JsonObject manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        manifest["stdio"] = null;
        File.WriteAllText(manifestPath, manifest.ToJsonString());

        using CrikRun second = pods.Start("sh", "-c", Pods.Counter());
        second.WaitForLine("count 0");
        Assert.Contains("its manifest has no usable stdio", second.WaitForLine("cannot be restored", stderr: true), StringComparison.Ordinal);
        string setAside = Assert.Single(pods.SetAside());
        Assert.Contains("no usable stdio", File.ReadAllText(Path.Combine(setAside, "SET-ASIDE-REASON.txt")), StringComparison.Ordinal);
        Assert.Empty(pods.Committed());
        Pods.CheckpointAndStop(second);
        Assert.Equal(["checkpoint-000002"], pods.Committed());
    }
}
