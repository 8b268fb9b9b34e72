using Crik.Cli.Records;
using Crik.Cli.Timing;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Writes generations: one is staged, then committed (its manifest written last) or abandoned; the committed ones
/// are retired when the app ended on its own.
/// </summary>
internal interface ICheckpointWriter
{
    StagingCheckpoint BeginCheckpoint();

    void Abandon(StagingCheckpoint staging);

    CommitResult Commit(StagingCheckpoint staging, Manifest manifest, int keep, Func<string?>? whyNot = null, StageClock? stages = null);

    int RetireCommitted();
}
