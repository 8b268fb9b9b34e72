using Crik.Cli.LazyPages;
using Crik.Cli.Processes;

namespace Crik.Cli.Restoring;

/// <summary>
/// What a restored app touched first: once it is seen waiting for its memory (<paramref name="loading"/>, restored lazily),
/// what it waited for; until then, what its checkpoint said it touched first (<paramref name="before"/>).
/// </summary>
internal sealed class RestoredTouches(IReadOnlyList<TouchedRange>? before, LazyLoad? loading) : IFirstTouches
{
    public IReadOnlyList<TouchedRange>? FirstTouched() => loading?.FirstTouched() is { Count: > 0 } seen ? seen : before;
}
