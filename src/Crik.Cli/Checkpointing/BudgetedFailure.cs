using Crik.Cli.Streaming;

namespace Crik.Cli.Checkpointing;

/// <summary>The first failure of a run that takes images, which fails once the checkpoint's budget is spent.</summary>
internal sealed class BudgetedFailure(Budget budget) : FirstFailure
{
    public override string? Failure
    {
        get
        {
            if (budget.Spent)
            {
                Fail("checkpointBudget ran out while the images were stored");
            }
            return base.Failure;
        }
    }
}
