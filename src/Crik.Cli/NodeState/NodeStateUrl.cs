using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Crik.Shared.NodeState;

namespace Crik.Cli.NodeState;

/// <summary>
/// The parts of <c>nodeStateServerURL</c> crik uses: the request URL for one node (the node's path appended to
/// the URL's own path, its query kept), a display form without credentials for logs and errors, and the
/// userinfo as an HTTP Basic Authorization header.
/// </summary>
internal sealed class NodeStateUrl
{
    private readonly Uri _server;

    public NodeStateUrl(Uri server)
    {
        _server = server;
        Display = Compose(server.GetComponents(UriComponents.Path, UriFormat.UriEscaped));
        BasicAuthorization = BasicFrom(server.UserInfo);
    }

    /// <summary>The server URL with any user:password removed: the only form that may be printed.</summary>
    public string Display { get; }

    /// <summary>Basic credentials from <c>http://user:password@host</c>, or null when the URL has none.</summary>
    public AuthenticationHeaderValue? BasicAuthorization { get; }

    /// <summary>
    /// <c>http://host:port/base/v1/nodes/NAME?query</c>, never with the userinfo; with <c>waitMs=</c><paramref name="waitMs"/>
    /// added where it is above 0.
    /// </summary>
    public Uri For(string nodeName, int waitMs = 0)
    {
        var basePath = _server.GetComponents(UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/');
        var path = basePath.Length == 0 ? NodeStateContract.PathOf(nodeName) : basePath + "/" + NodeStateContract.PathOf(nodeName);
        var url = Compose(path);
        if (waitMs > 0)
            url += (_server.Query.Length > 1 ? "&" : "?") + NodeStateContract.WaitQuery + "=" + waitMs.ToString(CultureInfo.InvariantCulture);
        return new Uri(url);
    }

    public override string ToString() => Display;

    private string Compose(string pathWithoutLeadingSlash)
    {
        var text = new StringBuilder(_server.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped));
        text.Append('/').Append(pathWithoutLeadingSlash);
        if (_server.Query.Length > 1)
            text.Append(_server.Query);
        return text.ToString();
    }

    private static AuthenticationHeaderValue? BasicFrom(string userInfo)
    {
        if (userInfo.Length == 0)
            return null;
        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        var user = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
        var password = colon < 0 ? "" : Uri.UnescapeDataString(userInfo[(colon + 1)..]);
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
    }
}
