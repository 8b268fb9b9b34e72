using Crik.Cli.Streaming;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// The work crik does while the app runs, before a checkpoint's dump (a gather, a copy), ends once it took its share of
/// checkpointBudget or a SIGTERM came during the checkpoint: what it did not do is left to the dump, so the SIGTERM's own
/// checkpoint is not kept waiting.
/// </summary>
internal sealed class EnoughBeforeTheDump(CheckpointAttempt attempt, CancellationToken budget) : IEnoughRead
{
    public bool Enough => budget.IsCancellationRequested || attempt.SigtermWaiting;
}
