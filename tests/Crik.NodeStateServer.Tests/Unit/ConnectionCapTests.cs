using Crik.NodeStateServer.Http;
using Microsoft.AspNetCore.Connections;
using Xunit;

namespace Crik.NodeStateServer.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class ConnectionCapTests
{
    private static CappedConnection NewConnection() => new(new DefaultConnectionContext());

    private static (CappedConnection? Admitted, CappedConnection? MadeRoom) Admit(ConnectionCap cap)
    {
        var connection = NewConnection();
        return cap.TryAdmit(connection, out var madeRoom) ? (connection, madeRoom) : (null, madeRoom);
    }

    [Fact]
    public void BelowTheCapNothingIsClosed()
    {
        var cap = new ConnectionCap(2);
        Assert.Null(Admit(cap).MadeRoom);
        Assert.Null(Admit(cap).MadeRoom);
        Assert.Equal(2, cap.Open);
    }

    [Fact]
    public void AtTheCapTheLongestIdleConnectionMakesRoom()
    {
        var cap = new ConnectionCap(2);
        var first = Admit(cap).Admitted!;
        Admit(cap);
        var (third, madeRoom) = Admit(cap);
        Assert.NotNull(third);
        Assert.Same(first, madeRoom);
        Assert.Equal(2, cap.Open);
    }

    [Fact]
    public void AConnectionInARequestIsNotClosedToMakeRoom()
    {
        var cap = new ConnectionCap(2);
        var first = Admit(cap).Admitted!;
        var second = Admit(cap).Admitted!;
        cap.RequestStarted(first);
        Assert.Same(second, Admit(cap).MadeRoom);
    }

    [Fact]
    public void IdleTimeCountsFromTheEndOfTheLastRequest()
    {
        var cap = new ConnectionCap(2);
        var first = Admit(cap).Admitted!;
        var second = Admit(cap).Admitted!;
        cap.RequestStarted(first);
        cap.RequestEnded(first);
        Assert.Same(second, Admit(cap).MadeRoom);
    }

    [Fact]
    public void WhenEveryConnectionIsInARequestTheNewOneIsRefused()
    {
        var cap = new ConnectionCap(2);
        cap.RequestStarted(Admit(cap).Admitted!);
        cap.RequestStarted(Admit(cap).Admitted!);
        var (admitted, madeRoom) = Admit(cap);
        Assert.Null(admitted);
        Assert.Null(madeRoom);
        Assert.Equal(2, cap.Open);
    }

    [Fact]
    public void AConnectionClosedToMakeRoomIsCountedOnlyOnce()
    {
        var cap = new ConnectionCap(2);
        var first = Admit(cap).Admitted!;
        var second = Admit(cap).Admitted!;
        Admit(cap);
        // A request that slipped in before the close took effect does not bring it back.
        cap.RequestStarted(first);
        cap.RequestEnded(first);
        cap.Leave(first);
        Assert.Equal(2, cap.Open);
        Assert.Same(second, Admit(cap).MadeRoom);
    }

    [Fact]
    public void AConnectionThatEndsFreesItsSlot()
    {
        var cap = new ConnectionCap(2);
        var first = Admit(cap).Admitted!;
        var second = Admit(cap).Admitted!;
        cap.RequestStarted(second);
        cap.Leave(first);
        cap.Leave(second);
        Assert.Equal(0, cap.Open);
        Assert.Null(Admit(cap).MadeRoom);
    }
}
