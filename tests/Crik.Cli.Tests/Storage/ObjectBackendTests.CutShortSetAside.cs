using Crik.Cli.ImageStore;
using Xunit;

namespace Crik.Cli.Tests.Storage;

// A move to set-aside/ cut short between its copy and its delete.
public partial class ObjectBackendTests
{
    /// <summary>A generation set aside (its restore failed, say) whose move was cut short must not be restored from the copy left behind.</summary>
    [SkippableStorageFact]
    public void AGenerationACutShortSetAsideLeftInBothPlacesIsNeverRestored()
    {
        Publish(1);
        MoveCutShort("checkpoint-000001", "set-aside/checkpoint-000001-20261123T100000Z");
        using GenerationStore store = NewStore();
        Assert.Null(store.FindRestorable());
        Assert.Equal(["set aside"], store.ListGenerations(verify: false).Select(g => g.State));
    }
}
