using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Crik.Containers.Tests.Jupyter;

/// <summary>A Jupyter Notebook server's REST API (kernels and contents), as a browser or JupyterHub reaches it.</summary>
/// <param name="prefix">Where the server is below the host: "" for itself, "user/NAME/" through a hub's proxy.</param>
internal sealed class NotebookServer(string host, int port, string token, string prefix = "") : IDisposable
{
    private readonly HttpClient _http = new()
    {
        BaseAddress = new Uri($"http://{host}:{port}/{prefix}"),
        Timeout = TimeSpan.FromSeconds(60),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("token", token) },
    };

    public Uri WebSocketBase => new($"ws://{host}:{port}/{prefix}");

    public string Token => token;

    /// <summary>Starts a Python kernel; returns its id.</summary>
    public async Task<string> StartKernelAsync()
    {
        using HttpResponseMessage response = await _http.PostAsync(new Uri("api/kernels", UriKind.Relative), Json(new JsonObject { ["name"] = "python3" }));
        JsonNode kernel = await ReadAsync(response, "starting a kernel");
        return kernel["id"]!.GetValue<string>();
    }

    /// <summary>The ids of the kernels the server runs.</summary>
    public async Task<List<string>> KernelIdsAsync()
    {
        using HttpResponseMessage response = await _http.GetAsync(new Uri("api/kernels", UriKind.Relative));
        JsonNode kernels = await ReadAsync(response, "listing the kernels");
        return [.. kernels.AsArray().Select(kernel => kernel!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal)];
    }

    public async Task ShutDownKernelAsync(string id)
    {
        using HttpResponseMessage response = await _http.DeleteAsync(new Uri($"api/kernels/{id}", UriKind.Relative));
        Assert.True(response.IsSuccessStatusCode, $"shutting kernel {id} down: {(int)response.StatusCode}");
    }

    /// <summary>Saves a notebook of one code cell at <paramref name="path"/> (relative to the notebook directory).</summary>
    public async Task SaveNotebookAsync(string path, string cellSource)
    {
        var notebook = new JsonObject
        {
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
            ["metadata"] = new JsonObject(),
            ["cells"] = new JsonArray(new JsonObject
            {
                ["cell_type"] = "code",
                ["id"] = "kept",
                ["metadata"] = new JsonObject(),
                ["source"] = cellSource,
                ["outputs"] = new JsonArray(),
                ["execution_count"] = null,
            }),
        };
        var body = new JsonObject { ["type"] = "notebook", ["format"] = "json", ["content"] = notebook };
        using HttpResponseMessage response = await _http.PutAsync(new Uri($"api/contents/{path}", UriKind.Relative), Json(body));
        await ReadAsync(response, $"saving {path}");
    }

    /// <summary>The source of the first cell of the saved notebook at <paramref name="path"/>.</summary>
    public async Task<string> FirstCellAsync(string path)
    {
        using HttpResponseMessage response = await _http.GetAsync(new Uri($"api/contents/{path}?content=1", UriKind.Relative));
        JsonNode model = await ReadAsync(response, $"reading {path}");
        return model["content"]!["cells"]![0]!["source"]!.GetValue<string>();
    }

    public void Dispose() => _http.Dispose();

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage response, string what)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{what}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}
