using Crik.Cli.Guarding;
using Xunit;

namespace Crik.Cli.Tests.Guarding;

/// <summary>A parallel loop's failure reaches its caller as the one failure its store rules read, not as an AggregateException.</summary>
[Trait("Category", "Unit")]
public sealed class ParallelFailureTests
{
    [Fact]
    public void AFailedReadIsThrownBeforeAnyOtherFailure()
    {
        var read = new IOException("Input/output error");
        AggregateException failures = Assert.Throws<AggregateException>(() =>
            Parallel.ForEach([0, 1], new ParallelOptions { MaxDegreeOfParallelism = 1 },
                i => throw (i == 0 ? new InvalidOperationException("first") : read)));
        // With one worker the loop stops at its first failure; the read is put second by hand to test the preference.
        var both = new AggregateException(new InvalidOperationException("other"), new AggregateException(read));

        Assert.Same(read, Assert.Throws<IOException>(() => ParallelFailure.RethrowFirstRead(both)));
        Assert.IsType<InvalidOperationException>(Assert.ThrowsAny<Exception>(() => ParallelFailure.RethrowFirstRead(failures)));
    }

    [Fact]
    public void TheRethrownFailureKeepsWhereItWasThrown()
    {
        AggregateException failures = Assert.Throws<AggregateException>(() =>
            Parallel.ForEach([0, 1, 2], _ => FailToRead()));

        IOException thrown = Assert.Throws<IOException>(() => ParallelFailure.RethrowFirstRead(failures));
        Assert.Contains(nameof(FailToRead), thrown.StackTrace, StringComparison.Ordinal);
    }

    private static void FailToRead() => throw new IOException("Input/output error");
}
