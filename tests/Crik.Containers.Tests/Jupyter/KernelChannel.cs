using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Crik.Containers.Tests.Jupyter;

/// <summary>
/// One websocket to a kernel's channels (/api/kernels/ID/channels), as the notebook page in a browser holds it:
/// Jupyter's messaging protocol 5.3 as JSON text frames.
/// </summary>
internal sealed class KernelChannel : IDisposable
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(90);
    private readonly ClientWebSocket _socket = new();
    private readonly string _session = Guid.NewGuid().ToString("N");

    public static async Task<KernelChannel> OpenAsync(NotebookServer server, string kernelId)
    {
        var channel = new KernelChannel();
        channel._socket.Options.SetRequestHeader("Authorization", $"token {server.Token}");
        var uri = new Uri(server.WebSocketBase, $"api/kernels/{kernelId}/channels?session_id={channel._session}");
        using var timeout = new CancellationTokenSource(ReplyTimeout);
        await channel._socket.ConnectAsync(uri, timeout.Token);
        return channel;
    }

    /// <summary>Runs <paramref name="code"/>; returns what it printed and the execution count the kernel gave it.</summary>
    public async Task<(string Stdout, int ExecutionCount)> ExecuteAsync(string code)
    {
        string id = Guid.NewGuid().ToString("N");
        var request = new JsonObject
        {
            ["header"] = new JsonObject
            {
                ["msg_id"] = id,
                ["username"] = "test",
                ["session"] = _session,
                ["msg_type"] = "execute_request",
                ["version"] = "5.3",
            },
            ["parent_header"] = new JsonObject(),
            ["metadata"] = new JsonObject(),
            ["content"] = new JsonObject
            {
                ["code"] = code,
                ["silent"] = false,
                ["store_history"] = true,
                ["user_expressions"] = new JsonObject(),
                ["allow_stdin"] = false,
                ["stop_on_error"] = true,
            },
            ["channel"] = "shell",
            ["buffers"] = new JsonArray(),
        };
        using var timeout = new CancellationTokenSource(ReplyTimeout);
        await _socket.SendAsync(Encoding.UTF8.GetBytes(request.ToJsonString()), WebSocketMessageType.Text, true, timeout.Token);
        return await CollectReplyAsync(id, timeout.Token);
    }

    /// <summary>Waits until the server ends this websocket (close, reset or end of stream): true when it did in time.</summary>
    public async Task<bool> EndsWithinAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            while (true)
            {
                JsonNode? message = await ReceiveAsync(timeout.Token);
                if (message is null)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (WebSocketException)
        {
            return true;
        }
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>stdout of the request's stream messages until both its execute_reply and its idle status came.</summary>
    private async Task<(string, int)> CollectReplyAsync(string id, CancellationToken cancel)
    {
        var stdout = new StringBuilder();
        int? executionCount = null;
        bool idle = false;
        while (executionCount is null || !idle)
        {
            JsonNode message = await ReceiveAsync(cancel) ?? throw new InvalidOperationException("the kernel's websocket closed before the reply");
            if (message["parent_header"]?["msg_id"]?.GetValue<string>() != id)
            {
                continue;
            }
            JsonNode content = message["content"]!;
            switch (message["header"]!["msg_type"]!.GetValue<string>())
            {
                case "stream" when content["name"]!.GetValue<string>() == "stdout":
                    stdout.Append(content["text"]!.GetValue<string>());
                    break;
                case "error":
                    Assert.Fail($"the kernel raised {content["ename"]}: {content["evalue"]}\n{string.Join('\n', content["traceback"]!.AsArray())}");
                    break;
                case "execute_reply":
                    Assert.True(content["status"]!.GetValue<string>() == "ok", $"execute_reply: {content.ToJsonString()}");
                    executionCount = content["execution_count"]!.GetValue<int>();
                    break;
                case "status" when content["execution_state"]!.GetValue<string>() == "idle":
                    idle = true;
                    break;
            }
        }
        return (stdout.ToString(), executionCount.Value);
    }

    /// <summary>The next whole message, or null when the server closed the websocket.</summary>
    private async Task<JsonNode?> ReceiveAsync(CancellationToken cancel)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        while (true)
        {
            WebSocketReceiveResult result = await _socket.ReceiveAsync(chunk, cancel);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            buffer.Write(chunk, 0, result.Count);
            if (result.EndOfMessage)
            {
                return JsonNode.Parse(buffer.ToArray());
            }
        }
    }
}
