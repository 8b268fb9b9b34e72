using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;

namespace Crik.Cli.Guarding;

/// <summary>
/// What a parallel loop that failed threw, as its caller handles a single failure: Parallel.ForEach wraps every worker's
/// exception in one AggregateException, which no store rule or caller reads.
/// </summary>
internal static class ParallelFailure
{
    /// <summary>
    /// Throws again, with its own stack, the first failed read among <paramref name="failures"/> (an EIO a store tells apart,
    /// say), or else the first failure, whichever worker failed first.
    /// </summary>
    [DoesNotReturn]
    public static void RethrowFirstRead(AggregateException failures)
    {
        ReadOnlyCollection<Exception> inner = failures.Flatten().InnerExceptions;
        ExceptionDispatchInfo.Throw(inner.FirstOrDefault(e => e is IOException) ?? inner[0]);
    }
}
