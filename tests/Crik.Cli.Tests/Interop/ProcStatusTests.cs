using Crik.Cli.Interop;
using Xunit;

namespace Crik.Cli.Tests.Interop;

/// <summary>The fields of /proc/PID/status crik reads: each where its key says, null when missing or garbled.</summary>
[Trait("Category", "Unit")]
public class ProcStatusTests
{
    [Fact]
    public void EachFieldIsReadFromItsLine()
    {
        ProcStatus status = ProcStatus.Parse(["Name:\tsh: odd", "State:\tS (sleeping)", "Tgid:\t42", "PPid:\t1", "SigPnd:\t0000000000000100",
            "ShdPnd:\t0000000000040000", "CapEff:\t000001ffffffffff", "Seccomp:\t2", "Seccomp_filters:\t3"]);

        Assert.Equal(new ProcStatus(42, 1, 0x100UL, 0x40000UL, 0x1ffffffffffUL, 2, 3), status);
    }

    [Fact]
    public void AFieldMissingOrGarbledIsNullAndTheFirstOfTwoCounts()
    {
        ProcStatus status = ProcStatus.Parse(["Tgid:\tx", "PPid:\t7", "PPid:\t8", "CapEff:\tzz", "Seccomp:\t0", "no colon here"]);

        Assert.Equal(new ProcStatus(null, 7, null, null, null, 0, null), status);
    }

    [Fact]
    public void OwnStatusIsRead()
    {
        ProcStatus own = ProcStatus.Read("/proc/self/status");

        Assert.Equal(Environment.ProcessId, own.Tgid);
        Assert.NotNull(own.PPid);
        Assert.NotNull(own.CapEff);
    }

    [Fact]
    public void AStatusThatIsGoneThrowsIOException() =>
        Assert.ThrowsAny<IOException>(() => ProcStatus.Read("/proc/0/status"));
}
