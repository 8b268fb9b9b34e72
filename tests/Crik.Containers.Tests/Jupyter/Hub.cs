using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crik.Containers.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Containers.Tests.Jupyter;

/// <summary>
/// Debian's JupyterHub on this machine, its proxy on loopback, its spawner starting each server as one of the pods
/// the test planned (Apps/jupyterhub_config.py). The test drives it as an admin service and logs in as a user would.
/// </summary>
internal sealed partial class Hub : IDisposable
{
    public const string User = "alice";
    private const string Password = "crik-test-password";

    private readonly TempDirectory _dir = new();
    private readonly string _serviceToken = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    private readonly Process _hub;
    private readonly List<string> _log = [];
    private readonly HttpClient _admin;

    public Hub(IEnumerable<string[]> pods)
    {
        ProxyPort = FreePort.Get();
        var settings = new JsonObject
        {
            ["podman"] = new JsonArray([.. Podman.Command.Select(a => JsonValue.Create(a))]),
            ["pods"] = new JsonArray([.. pods.Select(p => new JsonArray([.. p.Select(a => JsonValue.Create(a))]))]),
            ["password"] = Password,
            ["proxyPort"] = ProxyPort,
            ["proxyApiPort"] = FreePort.Get(),
            ["hubPort"] = FreePort.Get(),
            // Where the proxy (on the host) and the servers (in their pods) both reach the hub: the host's own address.
            // Podman's bridge is no good for that: it exists only while a container is on it.
            ["hubAddress"] = HostAddress(),
            ["serviceToken"] = _serviceToken,
        };
        string settingsFile = Path.Combine(_dir.Path, "hub.json");
        File.WriteAllText(settingsFile, settings.ToJsonString());
        var start = new ProcessStartInfo("jupyterhub", ["-f", Path.Combine(AppContext.BaseDirectory, "Apps", "jupyterhub_config.py")])
        {
            WorkingDirectory = _dir.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // Debian's proxy finds its modules through Debian's node; a node from elsewhere (these machines have one) needs the path.
            Environment = { ["CRIK_TEST_HUB_SETTINGS"] = settingsFile, ["NODE_PATH"] = "/usr/share/nodejs:/usr/lib/nodejs" },
        };
        _hub = Process.Start(start) ?? throw new InvalidOperationException("jupyterhub did not start");
        _hub.OutputDataReceived += (_, e) => Note(e.Data);
        _hub.ErrorDataReceived += (_, e) => Note(e.Data);
        _hub.BeginOutputReadLine();
        _hub.BeginErrorReadLine();
        _admin = new HttpClient { BaseAddress = Base, Timeout = TimeSpan.FromSeconds(60) };
        _admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", _serviceToken);
    }

    public int ProxyPort { get; }

    public Uri Base => new($"http://127.0.0.1:{ProxyPort}/");

    public string Log
    {
        get
        {
            lock (_log)
            {
                return string.Join('\n', _log.TakeLast(60));
            }
        }
    }

    /// <summary>The user's server's REST API through the proxy, as the admin service (token, no OAuth).</summary>
    public NotebookServer ServerAsAdmin() => new("127.0.0.1", ProxyPort, _serviceToken, $"user/{User}/");

    public async Task WaitUntilUpAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Poll.UntilAsync(async () =>
        {
            Assert.False(_hub.HasExited, $"the hub exited\n{Log}");
            try
            {
                using HttpResponseMessage answer = await http.GetAsync(new Uri(Base, "hub/api"));
                return answer.IsSuccessStatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, "the hub to answer", TimeSpan.FromSeconds(90), () => Log);
        (await _admin.PostAsync(new Uri($"hub/api/users/{User}", UriKind.Relative), null)).Dispose();
    }

    /// <summary>What "Start my server" does: the hub gives the server a new token and the spawner a new pod.</summary>
    public async Task StartServerAsync()
    {
        using HttpResponseMessage started = await _admin.PostAsync(new Uri($"hub/api/users/{User}/server", UriKind.Relative), null);
        Assert.True(started.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted, $"starting the server: {started.StatusCode}\n{Log}");
        await Poll.UntilAsync(async () => await ServerStateAsync() is { } s && s["ready"]?.GetValue<bool>() == true,
            "the server to be ready", TimeSpan.FromSeconds(180), () => Log);
    }

    /// <summary>What "Stop my server" does: the spawner stops the pod (SIGTERM), and the hub deletes the server's token.</summary>
    public async Task StopServerAsync()
    {
        using HttpResponseMessage stopping = await _admin.DeleteAsync(new Uri($"hub/api/users/{User}/server", UriKind.Relative));
        Assert.True(stopping.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.Accepted, $"stopping the server: {stopping.StatusCode}\n{Log}");
        await Poll.UntilAsync(async () => await ServerStateAsync() is null, "the server to stop", TimeSpan.FromSeconds(120), () => Log);
    }

    /// <summary>Whether the hub takes <paramref name="token"/> as an API token now.</summary>
    public async Task<HttpStatusCode> AskWithTokenAsync(string token)
    {
        using var http = new HttpClient { BaseAddress = Base };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", token);
        using HttpResponseMessage response = await http.GetAsync(new Uri("hub/api/user", UriKind.Relative));
        return response.StatusCode;
    }

    /// <summary>
    /// A new browser: logs in at the hub's form, then asks the user's server for its kernels, which takes it through
    /// the OAuth handshake between the server and the hub (the server proves itself with its API token). The answer.
    /// </summary>
    public async Task<(HttpStatusCode Status, string Body)> LogInAndListKernelsAsync()
    {
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = Base, Timeout = TimeSpan.FromSeconds(60) };
        string form = await browser.GetStringAsync(new Uri("hub/login", UriKind.Relative));
        var fields = new Dictionary<string, string> { ["username"] = User, ["password"] = Password };
        if (XsrfField().Match(form) is { Success: true } xsrf)
        {
            fields["_xsrf"] = xsrf.Groups[1].Value;
        }
        using HttpResponseMessage loggedIn = await browser.PostAsync(new Uri("hub/login", UriKind.Relative), new FormUrlEncodedContent(fields));
        Assert.True(loggedIn.IsSuccessStatusCode, $"logging in: {loggedIn.StatusCode}\n{Log}");
        using HttpResponseMessage kernels = await browser.GetAsync(new Uri($"user/{User}/api/kernels", UriKind.Relative));
        return (kernels.StatusCode, await kernels.Content.ReadAsStringAsync());
    }

    public void Dispose()
    {
        if (!_hub.HasExited)
        {
            _hub.Kill(entireProcessTree: true);
            _hub.WaitForExit();
        }
        _hub.Dispose();
        _admin.Dispose();
        _dir.Dispose();
    }

    private async Task<JsonNode?> ServerStateAsync()
    {
        string user = await _admin.GetStringAsync(new Uri($"hub/api/users/{User}", UriKind.Relative));
        return JsonNode.Parse(user)?["servers"]?[""];
    }

    /// <summary>The address this machine sends from by its default route (a UDP socket's connect sends nothing).</summary>
    private static string HostAddress()
    {
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        probe.Connect(IPAddress.Parse("1.1.1.1"), 53);
        return ((IPEndPoint)probe.LocalEndPoint!).Address.ToString();
    }

    private void Note(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.Add(line);
            }
        }
    }

    [GeneratedRegex("name=\"_xsrf\" value=\"([^\"]+)\"")]
    private static partial Regex XsrfField();
}
