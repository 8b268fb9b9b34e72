using System.Text.Json.Nodes;
using Crik.Containers.Tests.Jupyter;
using Crik.Containers.Tests.Support;
using Xunit;

namespace Crik.Containers.Tests.Runtimes;

/// <summary>
/// A Jupyter Notebook server (Debian's notebook 6 and ipykernel) as a JupyterHub single-user server runs it: the
/// user's home on a volume, crik in front. Two kernels with state (a variable, a thread counting, a file open for
/// appending, tens of MiB of data) go through three pods; each restore must bring back the same server and
/// kernels with everything in them, the saved notebook, and a server that still starts new kernels. A client
/// connected to a kernel before the move sees its websocket end and connects again, as a browser does.
/// </summary>
public class JupyterTests
{
    private const string Home = "/home/jovyan";
    private const int Port = 8888;
    private const string Token = "crik-test-token";
    private static readonly (string Name, int MiB)[] Kernels = [("a", 64), ("b", 16)];

    [ContainerTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ANotebookServerKeepsItsKernelsWithTheirStateThroughThreePods(bool lazily)
    {
        using var set = new StatefulSet(Home) { LazyRestore = lazily };
        string[] notebook =
            ["python3", "-m", "notebook", "--no-browser", "--allow-root", "--ip=0.0.0.0", $"--port={Port}", $"--NotebookApp.token={Token}", $"--notebook-dir={Home}"];
        var kernels = new Dictionary<string, string>();
        var states = new Dictionary<string, KernelState>();
        Dictionary<string, KernelChannel> channels = [];
        try
        {
            await set.ThreePodsAsync(notebook, async (pod, number) =>
            {
                using NotebookServer server = await ReachAsync(pod);
                if (number == 1)
                {
                    await StartKernelsAsync(server, kernels, channels);
                    await server.SaveNotebookAsync("kept.ipynb", "print('kept across pods')");
                }
                else
                {
                    Assert.Equal(kernels.Values.Order(StringComparer.Ordinal), await server.KernelIdsAsync());
                    channels = await ReconnectAsync(server, kernels, channels, pod);
                }
                foreach ((string name, string id) in kernels)
                {
                    states[name] = await CheckKernelAsync(channels[name], pod, name, number, states.GetValueOrDefault(name));
                }
                Assert.Equal("print('kept across pods')", await server.FirstCellAsync("kept.ipynb"));
                await ANewKernelRunsAsync(server);
                Assert.Equal(kernels.Values.Order(StringComparer.Ordinal), await server.KernelIdsAsync());
            }, "-e", $"HOME={Home}");
        }
        finally
        {
            foreach (KernelChannel channel in channels.Values)
            {
                channel.Dispose();
            }
        }
    }

    /// <summary>What a kernel's check printed, as far as later pods compare it.</summary>
    private sealed record KernelState(int Pid, long Count, int ExecutionCount);

    private static async Task<NotebookServer> ReachAsync(Pod pod)
    {
        pod.WaitForPort(Port);
        var server = new NotebookServer(pod.Ip, Port, Token);
        await server.KernelIdsAsync();
        return server;
    }

    private static async Task StartKernelsAsync(NotebookServer server, Dictionary<string, string> kernels, Dictionary<string, KernelChannel> channels)
    {
        foreach ((string name, int mib) in Kernels)
        {
            kernels[name] = await server.StartKernelAsync();
            channels[name] = await KernelChannel.OpenAsync(server, kernels[name]);
            (_, int count) = await channels[name].ExecuteAsync(SetUpCode(name, mib));
            Assert.Equal(1, count);
        }
    }

    /// <summary>The websockets of the pod before ended with it; the same kernels are reached again on the new pod.</summary>
    private static async Task<Dictionary<string, KernelChannel>> ReconnectAsync(
        NotebookServer server, Dictionary<string, string> kernels, Dictionary<string, KernelChannel> old, Pod pod)
    {
        var channels = new Dictionary<string, KernelChannel>();
        foreach ((string name, KernelChannel channel) in old)
        {
            Assert.True(await channel.EndsWithinAsync(TimeSpan.FromSeconds(30)), $"kernel {name}'s websocket to the old pod did not end\n{pod.Diagnostics}");
            channel.Dispose();
            channels[name] = await KernelChannel.OpenAsync(server, kernels[name]);
        }
        return channels;
    }

    private static async Task<KernelState> CheckKernelAsync(KernelChannel channel, Pod pod, string name, int number, KernelState? before)
    {
        (string printed, int executionCount) = await channel.ExecuteAsync(CheckCode(number));
        JsonNode state = JsonNode.Parse(printed)!;
        string where = $"kernel {name} in pod {number}: {printed}\n{pod.Diagnostics}";
        Assert.True(state["pods"]!.AsArray().Select(p => p!.GetValue<int>()).SequenceEqual(Enumerable.Range(1, number)), where);
        Assert.True(state["whole"]!.GetValue<bool>(), $"its data changed: {where}");
        Assert.True(state["counting"]!.GetValue<bool>(), $"its thread stopped counting: {where}");
        Assert.True(state["logAt"]!.GetValue<long>() == 6 * number, $"its log file is not where it wrote: {where}");
        Assert.Equal(string.Concat(Enumerable.Range(1, number).Select(n => $"pod {n}\n")), pod.Exec("cat", $"{Home}/kernel-{name}.log") + "\n");
        var now = new KernelState(state["pid"]!.GetValue<int>(), state["count"]!.GetValue<long>(), executionCount);
        Assert.Equal(number + 1, now.ExecutionCount);
        if (before is not null)
        {
            Assert.True(now.Pid == before.Pid, $"a new kernel process: {where}");
            Assert.True(now.Count > before.Count, $"the count went back: {where}");
        }
        return now;
    }

    private static async Task ANewKernelRunsAsync(NotebookServer server)
    {
        string id = await server.StartKernelAsync();
        using (KernelChannel channel = await KernelChannel.OpenAsync(server, id))
        {
            Assert.Equal("42\n", (await channel.ExecuteAsync("print(6 * 7)")).Stdout);
        }
        await server.ShutDownKernelAsync(id);
    }

    private static string SetUpCode(string name, int mib) => $$"""
        import hashlib, json, os, threading, time
        pods = []
        count = [0]
        def counting():
            while True:
                count[0] += 1
                time.sleep(0.01)
        threading.Thread(target=counting, daemon=True).start()
        log = open('{{Home}}/kernel-{{name}}.log', 'a')
        data = bytearray(os.urandom({{mib}} << 20))
        digest = hashlib.sha256(data).hexdigest()
        """;

    private static string CheckCode(int number) => $$"""
        pods.append({{number}})
        before = count[0]
        time.sleep(0.2)
        log.write('pod {{number}}\n'); log.flush()
        print(json.dumps({'pods': pods, 'counting': count[0] > before, 'count': count[0], 'whole': hashlib.sha256(data).hexdigest() == digest,
                          'logAt': log.tell(), 'pid': os.getpid()}))
        """;
}
