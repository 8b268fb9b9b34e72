namespace Crik.Shared.Kubernetes;

/// <summary>
/// A bearer token that is either fixed or read from a file. Service account tokens are bound and rotated
/// by the kubelet, so a file-backed token is re-read once it is older than <see cref="RefreshInterval"/>.
/// </summary>
internal sealed class BearerToken
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(1);

    private readonly string? _path;
    private readonly TimeProvider _clock;
    private string _value;
    private DateTimeOffset _readAt;

    private BearerToken(string value, string? path, TimeProvider clock)
    {
        _value = value;
        _path = path;
        _clock = clock;
        _readAt = clock.GetUtcNow();
    }

    public static BearerToken Fixed(string value) => new(value, null, TimeProvider.System);

    public static BearerToken FromFile(string path, TimeProvider? clock = null) =>
        new(ReadFile(path), path, clock ?? TimeProvider.System);

    public string Current()
    {
        if (_path is not null && _clock.GetUtcNow() - _readAt >= RefreshInterval)
        {
            try
            {
                _value = ReadFile(_path);
            }
            catch (KubeConfigException)
            {
                // Keep the last good token; the API's 401 will tell the user if it really expired.
            }
            _readAt = _clock.GetUtcNow();
        }
        return _value;
    }

    private static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeConfigException($"cannot read token file {path}: {e.Message}", e);
        }
    }
}
