using System.Diagnostics;
using Crik.Cli.Carrying;
using Crik.Cli.Processes;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Carrying;

/// <summary>
/// What an app depends on, read from /proc while it is held: the files and directories its descriptors are open on (CRIU
/// opens each again at the restore, a directory too), its working directory and the files it maps; never a deleted file.
/// </summary>
public sealed class AppDependenciesTests
{
    [Fact]
    public void OpenFilesAndDirectoriesTheWorkingDirectoryAndMappedFilesAreDependencies()
    {
        using var dir = new TempDirectory();
        string held = Path.Combine(dir.Path, "held-open"), file = Path.Combine(dir.Path, "kept.log"), gone = Path.Combine(dir.Path, "gone");
        Directory.CreateDirectory(held);
        using Process app = Process.Start(new ProcessStartInfo("python3",
            ["-c", "import mmap, os, sys, time; d = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY); f = open(sys.argv[2], 'w'); "
                + "g = open(sys.argv[3], 'w'); os.unlink(sys.argv[3]); os.chdir(sys.argv[4]); print('ready', flush=True); time.sleep(100)",
                held, file, gone, dir.Path])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        try
        {
            Assert.Equal("ready", app.StandardOutput.ReadLine());
            Native.Signal(app.Id, Native.SIGSTOP);

            SortedSet<string> paths = AppDependencies.Read(HeldTree.Read(app.Id));

            Assert.Contains(held, paths);
            Assert.Contains(file, paths);
            Assert.Contains(dir.Path, paths);
            Assert.Contains(paths, path => path.Contains("python", StringComparison.Ordinal)); // the interpreter, mapped
            Assert.DoesNotContain(paths, path => path.StartsWith(gone, StringComparison.Ordinal));
        }
        finally
        {
            Native.TrySignal(app.Id, Native.SIGKILL);
            app.WaitForExit();
        }
    }
}
