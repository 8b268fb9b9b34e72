using System.Diagnostics;
using System.Net.Sockets;

namespace Crik.TestSupport;

/// <summary>
/// s3rver, a real S3 API server, on a loopback port with its own data directory and one bucket
/// (<see cref="Bucket"/>). It answers the S3 REST API over HTTP; it does not check signatures, so
/// SigV4 itself is checked against AWS's published example elsewhere.
/// </summary>
public sealed class S3Server : IDisposable
{
    public const string Bucket = "crik-test";
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private readonly TempDirectory _data = new();
    private readonly string _address;
    private Process _process;
    private bool _stopped;

    /// <param name="address">Where to listen: loopback, or 0.0.0.0 for containers that reach the host over podman's bridge.</param>
    public S3Server(string address = "127.0.0.1")
    {
        Port = FreePort.Get();
        _address = address;
        _process = Launch();
    }

    /// <summary>Stops the server, as a store that cannot be reached: connections to its port are refused. Its objects stay.</summary>
    public void Stop()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        _stopped = true;
        Poll.Until(() => !Listening(), "s3rver to stop listening", TimeSpan.FromSeconds(10));
    }

    /// <summary>Starts a stopped server again, on the same port with the same objects.</summary>
    public void Start()
    {
        _process = Launch();
        _stopped = false;
    }

    private Process Launch()
    {
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { Script!, "-d", _data.Path, "-a", _address, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--configure-bucket", Bucket, "--no-vhost-buckets", "-s" })
        {
            info.ArgumentList.Add(arg);
        }
        Process process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Poll.Until(() => Listening() || process.HasExited, "s3rver to listen", TimeSpan.FromSeconds(30));
        if (process.HasExited)
        {
            throw new InvalidOperationException($"s3rver exited ({process.ExitCode}) before it listened");
        }
        return process;
    }

    public static string ScriptPath => Path.Combine(Paths.RepositoryRoot, "artifacts", "tools", "s3rver", "node_modules", "s3rver", "bin", "s3rver.js");

    private static string? Script => File.Exists(ScriptPath) ? ScriptPath : null;

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>Where s3rver keeps the bucket's objects on disk.</summary>
    public string DataDirectory => _data.Path;

    /// <summary>Why these tests cannot run here, or null.</summary>
    public static string? Missing() =>
        Prerequisites.FindOnPath("node") is null ? "needs node (the object storage tests run s3rver)"
        : Script is null ? "needs s3rver (bash scripts/install-s3rver.sh; scripts/test.sh runs it)"
        : null;

    /// <summary>The environment a pod would be given for this store.</summary>
    public Dictionary<string, string> Environment(string? endpoint = null) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = SecretKey,
        ["AWS_REGION"] = "us-east-1",
        ["AWS_ENDPOINT_URL_S3"] = endpoint ?? Endpoint,
    };

    public void Dispose()
    {
        if (!_stopped)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
            catch (InvalidOperationException)
            {
            }
            _process.Dispose();
        }
        _data.Dispose();
    }

    private bool Listening()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>A test against s3rver: skipped with the reason outside CI when node or s3rver is missing.</summary>
public sealed class S3FactAttribute : Xunit.FactAttribute
{
    public S3FactAttribute()
    {
        if (!Prerequisites.InCi && S3Server.Missing() is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A test that checkpoints to s3rver with a real CRIU: needs root, criu, node and s3rver.</summary>
public sealed class S3CriuFactAttribute : Xunit.FactAttribute
{
    public S3CriuFactAttribute()
    {
        if (!Prerequisites.InCi && (Prerequisites.MissingForCriu() ?? S3Server.Missing()) is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A theory that checkpoints to s3rver with a real CRIU: needs root, criu, node and s3rver.</summary>
public sealed class S3CriuTheoryAttribute : Xunit.TheoryAttribute
{
    public S3CriuTheoryAttribute()
    {
        if (!Prerequisites.InCi && (Prerequisites.MissingForCriu() ?? S3Server.Missing()) is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A test of checkpoints of only what the app wrote (<see cref="WrittenOnlyFactAttribute"/>) to s3rver: also needs node and s3rver.</summary>
public sealed class S3WrittenOnlyFactAttribute : Xunit.FactAttribute
{
    public S3WrittenOnlyFactAttribute() => Skip = WrittenOnlyFactAttribute.WhySkipped() ?? (Prerequisites.InCi ? null : S3Server.Missing());
}
