using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Xunit;

namespace Crik.Cli.Tests.Criu;

/// <summary>
/// What a core image says of a stopped process (task_state, stop_signo), and the action script that stops each
/// process stopped by another signal than SIGSTOP by that signal again after criu restore --leave-stopped.
/// </summary>
[Trait("Category", "Unit")]
public class StopSignalsTests
{
    private const uint CoreMagic = 0x55053847;

    /// <summary>A core image whose task_core_entry (tc = 3) holds these fields, after the mtype field (1) of core_entry.</summary>
    private static byte[] Core(params (int Field, ulong Value)[] task)
    {
        byte[] core = [.. Protobuf.Message((1, 1)), .. Protobuf.Embedded(3, Protobuf.Message(task))];
        return Protobuf.Image(CoreMagic, core);
    }

    [Fact]
    public void ACoreImageSaysWhetherItsProcessWasStoppedAndByWhichSignal()
    {
        Assert.Equal(new TaskState(TaskStateImage.Stopped, 20), TaskStateImage.Parse(Core((1, 3), (2, 0), (21, 20))));
        Assert.Equal(Signal.SIGTSTP, TaskStateImage.Parse(Core((1, 3), (21, 20))).StoppedBy);
        Assert.True(TaskStateImage.Parse(Core((1, 3), (21, 19))).Stopped);
        // An image without stop_signo (an older CRIU), or with a signal that stops nothing: CRIU stops it with SIGSTOP.
        Assert.Equal(Signal.SIGSTOP, TaskStateImage.Parse(Core((1, 3))).StoppedBy);
        Assert.Equal(Signal.SIGSTOP, TaskStateImage.Parse(Core((1, 3), (21, 15))).StoppedBy);
        Assert.False(TaskStateImage.Parse(Core((1, 1))).Stopped);
        Assert.Throws<FormatException>(() => TaskStateImage.Parse(Core((21, 20))));
        Assert.Throws<FormatException>(() => TaskStateImage.Parse(Protobuf.Image(0x12345678, Protobuf.Message((1, 1)))));
    }

    [Fact]
    public void OnlyProcessesStoppedByAnotherSignalThanSigstopAreStoppedAgainInPidOrder()
    {
        var processes = new Dictionary<int, TaskState>
        {
            [30] = new(TaskStateImage.Stopped, 22),
            [10] = new(TaskStateImage.Alive, 0),
            [20] = new(TaskStateImage.Stopped, 19),
            [25] = new(TaskStateImage.Stopped, 0),
            [12] = new(TaskStateImage.Stopped, 20),
            [13] = new(TaskStateImage.Dead, 20),
        };
        Assert.Equal([(12, Signal.SIGTSTP), (30, Signal.SIGTTOU)], StopSignalsScript.Restops(processes));
    }

    [Fact]
    public void TheScriptActsAtPreResumeOnlyContinuingEachProcessBeforeItsOwnStopSignal()
    {
        string text = StopSignalsScript.Text([(12, Signal.SIGTSTP), (30, Signal.SIGTTOU)]);
        Assert.Equal(
            "#!/bin/sh\n# crik: stops each process again by the signal that stopped it at the checkpoint (criu restore --leave-stopped queued a SIGSTOP)\n"
            + "[ \"$CRTOOLS_SCRIPT_ACTION\" = pre-resume ] || exit 0\nstatus=0\n"
            + "kill -s CONT 12 && kill -s TSTP 12 || status=1\nkill -s CONT 30 && kill -s TTOU 30 || status=1\nexit $status\n", text);
    }

    [Fact]
    public void TheScriptIsANewFileInCriusWorkDirectoryThatOnlyItsOwnerMayRun()
    {
        DirectoryInfo work = Directory.CreateTempSubdirectory("crik-stop-signals-");
        try
        {
            string path = StopSignalsScript.Write(new CriuWorkDir(work.FullName, "r.log"), "#!/bin/sh\nexit 0\n");
            Assert.Equal(Path.Combine(work.FullName, StopSignalsScript.FileName), path);
            Assert.Equal("#!/bin/sh\nexit 0\n", File.ReadAllText(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(path));
            Assert.Throws<IOException>(() => StopSignalsScript.Write(new CriuWorkDir(work.FullName, "r.log"), "#!/bin/sh\n"));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
