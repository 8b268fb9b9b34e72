using Crik.Cli.ImageStore;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Lifecycle;

// What is set aside on the way to a generation to restore: one that cannot be read, one whose chunks
// are gone, one of another app. A dump a crash left is the one rule that differs between backends
// (a volume's staging directory is set aside; object storage has none): each backend's tests say how.
public abstract partial class LifecycleContract
{
    [SkippableLifecycleFact]
    public void AGenerationWhoseManifestCannotBeReadIsSetAsideWithItsReasonAndTheOlderOneIsRestored()
    {
        Commit("one");
        Commit("two");
        Plant($"{StoreLayout.CommittedName(2)}/{Manifest.FileName}", "{ not json");
        using GenerationStore store = NewStore();
        Assert.Equal(1, store.FindRestorable()!.Manifest.Generation);
        ListedGeneration setAside = Assert.Single(store.ListGenerations(verify: false), g => g.State == "set aside");
        Assert.Equal(2, setAside.Generation);
        Assert.StartsWith("its manifest is not valid JSON", ReasonOf(setAside), StringComparison.Ordinal);
    }

    [SkippableLifecycleFact]
    public void AGenerationWhosePackIsGoneIsSetAsideWithItsReasonAndTheOlderOneIsRestored()
    {
        CommitStreamed("one");
        CommitStreamed("two");
        Remove($"{StoreLayout.PacksDir}/{StoreLayout.PackName(2)}");
        using GenerationStore store = NewStore();
        Assert.Equal(1, store.FindRestorable()!.Manifest.Generation);
        ListedGeneration setAside = Assert.Single(store.ListGenerations(verify: false), g => g.State == "set aside");
        Assert.Equal(2, setAside.Generation);
        Assert.Equal("pages-1.img needs packs/000002.pack, which is missing\n", ReasonOf(setAside));
    }

    [SkippableLifecycleFact]
    public void AGenerationOfAnotherAppIsSetAsideAndTheAppStartsFresh()
    {
        Commit("one");
        using (GenerationStore store = NewStore())
        {
            Assert.Null(store.FindRestorable(AppIdentity.Of(["another-app"])));
        }
        using GenerationStore next = NewStore();
        ListedGeneration setAside = Assert.Single(next.ListGenerations(verify: false));
        Assert.Equal(("set aside", 1L), (setAside.State, setAside.Generation));
        Assert.StartsWith("checkpoint 1 is of the command app, this container runs another-app", ReasonOf(setAside), StringComparison.Ordinal);
        Assert.Null(next.FindRestorable(AppIdentity.Of(["app"])));
    }

    [SkippableLifecycleFact]
    public void AGenerationIsKeptAndNothingChosenWhileThisContainersProgramCannotBeFound()
    {
        string program = Path.Combine(Directory.CreateTempSubdirectory("crik-program-").FullName, "app");
        File.WriteAllText(program, "#!/bin/sh\nexec sleep 1000\n");
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        AppIdentity taken = AppIdentity.Of([program]);
        Commit("one", manifest: new Manifest { RootPid = 9001, Command = [program], App = taken });
        File.Move(program, program + ".away");
        using (GenerationStore store = NewStore())
        {
            var why = Assert.Throws<ProgramUnreadableException>(() => store.FindRestorable(AppIdentity.Of([program])));
            Assert.StartsWith($"this container has no program {program} (looked for at that path), so crik cannot tell whether ", why.Message,
                StringComparison.Ordinal);
        }
        File.Move(program + ".away", program);
        using GenerationStore next = NewStore();
        Assert.Equal(1, next.FindRestorable(AppIdentity.Of([program]))!.Manifest.Generation);
        Directory.Delete(Path.GetDirectoryName(program)!, recursive: true);
    }

    /// <summary>Begins a dump and stops as a crik killed mid-dump would: nothing sealed, published or abandoned.</summary>
    internal void DumpKilledMidway()
    {
        using GenerationStore store = NewStore();
        StagingCheckpoint staging = store.BeginCheckpoint();
        File.WriteAllText(Path.Combine(staging.ImagesDir, "pages-1.img"), "half a dump");
        staging.Dispose();
    }
}
