using Crik.Cli.Interop;
using Crik.Cli.Records;
using Crik.Cli.Supervision;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// An app restored stopped on crik's fill runs for the first time only through the lease's watchdog:
/// never once the lease was lost while its memory arrived, and only once a renewal succeeds when the
/// lease is endangered; it is let go its own way (a process stopped at the checkpoint stays stopped),
/// not by a SIGCONT to the whole tree.
/// </summary>
[Trait("Category", "Unit")]
public class LetGoThroughTheLeaseTests
{
    private static readonly ILogger Log = new LoggerConfiguration().CreateLogger();

    private readonly List<Signal> _signals = [];
    private int _letGo;

    [Fact]
    public async Task AnAppWhoseLeaseWasLostWhileItsMemoryArrivedIsNeverLetGoAndIsKilled()
    {
        using var watchdog = new LeaseWatchdog(() => HoldState.Lost, Record, () => [], 1, Log);
        watchdog.LetGo(LetGo);
        await watchdog.Lost.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, Volatile.Read(ref _letGo));
        Assert.Equal([Signal.SIGKILL], Signals());
    }

    [Fact]
    public void AnAppWhoseLeaseIsHeldIsLetGoAtOnceItsOwnWay()
    {
        using var watchdog = new LeaseWatchdog(() => HoldState.Held, Record, () => [], 1, Log);
        watchdog.LetGo(LetGo);
        Assert.Equal(1, Volatile.Read(ref _letGo));
        Assert.Empty(Signals());
    }

    [Fact]
    public void AnAppWhoseLeaseIsEndangeredStaysFrozenUntilARenewalSucceedsAndIsThenLetGoItsOwnWay()
    {
        int held = 0;
        using var watchdog = new LeaseWatchdog(() => Volatile.Read(ref held) == 1 ? HoldState.Held : HoldState.Endangered, Record, () => [], 1, Log);
        watchdog.LetGo(LetGo);
        Thread.Sleep(200);
        Assert.Equal(0, Volatile.Read(ref _letGo));
        Assert.True(watchdog.Frozen);
        Volatile.Write(ref held, 1);
        SpinWait.SpinUntil(() => Volatile.Read(ref _letGo) > 0, TimeSpan.FromSeconds(5));
        Assert.Equal(1, Volatile.Read(ref _letGo));
        Assert.DoesNotContain(Signal.SIGCONT, Signals());
    }

    [Fact]
    public void ASigcontThatReachedCrikIsHeldBackWhileTheAppIsFrozenAndSentWhileTheLeaseIsHeld()
    {
        int held = 0;
        using var watchdog = new LeaseWatchdog(() => Volatile.Read(ref held) == 1 ? HoldState.Held : HoldState.Endangered, Record, () => [], 1, Log);
        SpinWait.SpinUntil(() => watchdog.Frozen, TimeSpan.FromSeconds(5));
        int sent = 0;
        Assert.False(watchdog.UnlessFrozen(() => ++sent > 0));
        Assert.Equal(0, sent);
        Volatile.Write(ref held, 1);
        SpinWait.SpinUntil(() => !watchdog.Frozen, TimeSpan.FromSeconds(5));
        Assert.True(watchdog.UnlessFrozen(() => ++sent > 0));
        Assert.Equal(1, sent);
    }

    [Fact]
    public void AProcessOfAFrozenAppThatRunsAgainIsStoppedAgainAtTheWatchdogsNextLook()
    {
        int[] running = [];
        using var watchdog = new LeaseWatchdog(() => HoldState.Endangered, Record, () => Volatile.Read(ref running), 1, Log);
        SpinWait.SpinUntil(() => watchdog.Frozen, TimeSpan.FromSeconds(5));
        Thread.Sleep(100);
        Assert.Equal([Signal.SIGSTOP], Signals()); // all stopped: nothing sent again
        Volatile.Write(ref running, [42]); // woken by someone else's SIGCONT
        Assert.True(SpinWait.SpinUntil(() => Signals().Count(s => s == Signal.SIGSTOP) >= 2, TimeSpan.FromSeconds(5)), string.Join(", ", Signals()));
        Assert.DoesNotContain(Signal.SIGCONT, Signals());
    }

    private void LetGo() => Interlocked.Increment(ref _letGo);

    private void Record(Signal signal)
    {
        lock (_signals)
        {
            _signals.Add(signal);
        }
    }

    private List<Signal> Signals()
    {
        lock (_signals)
        {
            return [.. _signals];
        }
    }
}
