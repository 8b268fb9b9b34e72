using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>What the app holds comes back: sockets, open files, and the paths crik is told about.</summary>
public class AppStateTests
{
    [CriuFact]
    public async Task HttpServerWithAnOpenFileServesNewConnectionsAfterRestore()
    {
        using var pods = new Pods();
        int port = FreePort.Get();
        string log = Path.Combine(pods.Root, "hits.log");
        string[] command = ["python3", Paths.App("http-counter.py"), port.ToString(), log];
        using (CrikRun first = pods.Start(command))
        {
            first.WaitForLine($"serving {port}");
            Assert.Equal("hits 1", await Get(port));
            Assert.Equal("hits 2", await Get(port));
            Pods.CheckpointAndStop(first);
        }
        using CrikRun second = pods.Start(command);
        second.WaitForLine("Restored checkpoint 1", stderr: true);
        Assert.Equal("hits 3", await Get(port));
        Assert.Equal(["hit 1", "hit 2", "hit 3"], File.ReadAllLines(log));
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void AdditionalPathsAreSavedAndPutBackForTheRestoredApp()
    {
        using var pods = new Pods();
        string state = Path.Combine(pods.Root, "state");
        File.AppendAllText(pods.ConfigPath, $"additionalPaths:\n  - {state}\n");
        Directory.CreateDirectory(Path.Combine(state, "nested"));
        File.WriteAllText(Path.Combine(state, "nested", "data.txt"), "kept\n");
        // The app holds the file open: CRIU can only restore it if the file exists again.
        string script = $"exec 3<{state}/nested/data.txt; {Pods.Counter()}";
        using (CrikRun first = pods.Start("sh", "-c", script))
        {
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
        }
        Directory.Delete(state, recursive: true); // a new pod does not have it
        using CrikRun second = pods.Start("sh", "-c", script);
        second.WaitForLine("Restored checkpoint 1", stderr: true);
        Assert.Equal("kept\n", File.ReadAllText(Path.Combine(state, "nested", "data.txt")));
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void InotifyIncompatiblePathsAreDeletedBeforeTheDump()
    {
        using var pods = new Pods();
        string cache = Path.Combine(pods.Root, "cache");
        string settings = Path.Combine(pods.Root, "settings.ini");
        File.AppendAllText(pods.ConfigPath, $"inotifyIncompatiblePaths: [{cache}, {settings}]\n");
        Directory.CreateDirectory(cache);
        File.WriteAllText(Path.Combine(cache, "x"), "x");
        File.WriteAllText(settings, "y");
        using CrikRun first = pods.Start("sh", "-c", Pods.Counter());
        first.WaitForLine("count 1");
        Assert.True(Directory.Exists(cache) && File.Exists(settings));
        Pods.CheckpointAndStop(first);
        Assert.False(Directory.Exists(cache));
        Assert.False(File.Exists(settings));
    }

    private static async Task<string> Get(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/");
        request.Headers.ConnectionClose = true;
        using HttpResponseMessage response = await http.SendAsync(request);
        return (await response.Content.ReadAsStringAsync()).Trim();
    }

}
