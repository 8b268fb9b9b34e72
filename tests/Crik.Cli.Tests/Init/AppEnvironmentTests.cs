using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Init;

/// <summary>The app starts the way CRIU needs it: own session, own IPC namespace, high PIDs, fds 0-2 only.</summary>
public class AppEnvironmentTests
{
    [NamespaceFact]
    public void AppLeadsItsOwnSessionWithAPidOfAtLeast9000()
    {
        // Field 6 of /proc/PID/stat is the session ID.
        using var run = CrikRun.Start(["run", "--", "sh", "-c", "echo pid=$$ sid=$(cut -d' ' -f6 /proc/$$/stat)"]);
        Assert.Equal(0, run.WaitForExit());
        string line = run.WaitForLine("pid=");
        var fields = line.Split(' ').Select(f => int.Parse(f.Split('=')[1])).ToArray();
        Assert.True(fields[0] >= 9000, line);
        Assert.Equal(fields[0], fields[1]);
    }

    [NamespaceFact]
    public void WithAReadOnlyProcSysTheAppStillGetsAPidOfAtLeast9000()
    {
        // As in a container that is not privileged: ns_last_pid cannot be written.
        using var run = CrikRun.Start(["run", "--", "sh", "-c", "echo pid=$$; echo > /proc/sys/kernel/ns_last_pid || echo read-only"],
            insideNamespaces: "mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys");
        Assert.Equal(0, run.WaitForExit());
        run.WaitForLine("read-only");
        string line = run.WaitForLine("pid=");
        Assert.True(int.Parse(line["pid=".Length..]) >= 9000, line);
    }

    [NamespaceFact]
    public void AppRunsInItsOwnIpcNamespace()
    {
        using var run = CrikRun.Start(["run", "--", "sh", "-c", "readlink /proc/$$/ns/ipc; sleep 60"]);
        string appIpc = run.WaitForLine("ipc:");
        Assert.NotEqual(ProcessTable.NamespaceOf(run.CrikPid, "ipc"), appIpc);
        run.Signal(Native.SIGTERM);
        run.WaitForExit();
    }

    /// <summary>
    /// Arguments and variables that are not UTF-8 (Latin-1 file names, a binary token) reach the app as they came, as the kernel
    /// and tini pass them; a program whose path is not UTF-8 runs. .NET decodes them as UTF-8: before, each byte that is not
    /// became U+FFFD (ef bf bd), in names too, and the program was "not found". (The app reads its variables from /proc: dash
    /// drops one whose name is not a shell name.)
    /// </summary>
    [NamespaceFact]
    public void ArgumentsVariablesAndAProgramPathThatAreNotUtf8ReachTheAppAsTheyCame()
    {
        string dir = Directory.CreateTempSubdirectory("crik-bytes-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "app"), "#!/bin/sh\nprintf '%s' \"$1\" | od -An -tx1\nprintf '%s' \"$X\" | od -An -tx1\ntr '\\0' '\\n' < /proc/$$/environ | LC_ALL=C grep -c '^Y.=1$'\n");
            File.SetUnixFileMode(Path.Combine(dir, "app"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
            // The shell renames the app to a name ending in byte e9, sets the variables, and adds the last argument, bytes ff fe.
            using var run = CrikRun.Start(["run", "--"], shellPrefix: $"cd {dir} && mv app \"$(printf 'caf\\351')\"; export X=\"$(printf 'caf\\351')\"; "
                + $"set -- env \"$(printf 'Y\\377=1')\" \"$@\" \"{dir}/$(printf 'caf\\351')\" \"$(printf '\\377\\376')\";");
            Assert.True(run.WaitForExit() == 0, run.Transcript);
            Assert.Equal(["ff fe", "63 61 66 e9", "1"], run.Stdout.Select(l => l.Trim()).ToArray());
        }
        finally
        {
            HostCommand.MustRun("rm", "-rf", dir); // .NET cannot name the file in it
        }
    }

    [NamespaceFact]
    public void AppInheritsOnlyDescriptorsZeroToTwo()
    {
        using var run = CrikRun.Start(["run", "--", "sh", "-c", "echo ready; exec sleep 60"], shellPrefix: "exec 7</dev/null 9>/dev/null;");
        run.WaitForLine("ready");
        // "ready" comes before the exec, so wait until the shell has become sleep.
        int app = Poll.Until(() => ProcessTable.ChildrenOf(run.CrikPid).FirstOrDefault(p => p.Name == "sleep"),
            $"the app to exec sleep\n{run.Transcript}").Pid;
        // sleep itself opens files for a moment as it starts (its locale): what stays open is what it inherited.
        string[] Descriptors() => Directory.GetFiles($"/proc/{app}/fd").Select(f => Path.GetFileName(f)).Order().ToArray();
        Poll.Until(() => Descriptors().SequenceEqual(["0", "1", "2"]), $"the app to hold descriptors 0-2 only, not {string.Join(' ', Descriptors())}",
            TimeSpan.FromSeconds(5));
        run.Signal(Native.SIGTERM);
        run.WaitForExit();
    }

    [NamespaceFact]
    public void AppGetsDefaultSignalDispositionsSoSigpipeStillEndsIt()
    {
        // The .NET runtime ignores SIGPIPE; an ignored disposition would survive exec into the app.
        using var run = CrikRun.Start(["run", "--", "sh", "-c", "grep SigIgn /proc/$$/status"]);
        Assert.Equal(0, run.WaitForExit());
        ulong ignored = Convert.ToUInt64(run.WaitForLine("SigIgn").Split('\t')[1], 16);
        // Signals 1-31; glibc itself reserves 32 and 33 for its threads.
        Assert.Equal(0UL, ignored & 0x7fffffffUL);
    }
}
