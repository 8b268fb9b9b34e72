using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Crik.Shared.Yaml;
using YamlDotNet.RepresentationModel;

namespace Crik.Shared.Kubernetes;

/// <summary>
/// Reads a kubeconfig's current context: cluster server and CA, user token or client certificate.
/// Several files (KUBECONFIG=a:b) merge the way kubectl does: the first file to name an entry wins.
/// Relative file paths are resolved against the file that mentions them.
/// </summary>
internal static class KubeConfigFile
{
    private sealed record Entry(YamlMappingNode Body, string Directory, string File);

    public static ClusterConnection Load(string pathList)
    {
        var files = pathList.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        if (files.Length == 0)
            throw new KubeConfigException("kubeconfig path is empty");

        string? currentContext = null;
        var contexts = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var clusters = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var users = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var root = LoadRoot(file);
            if (root is null)
                continue;
            currentContext ??= NullIfEmpty(YamlFile.String(root, "current-context", file));
            Collect(root, "contexts", "context", file, contexts);
            Collect(root, "clusters", "cluster", file, clusters);
            Collect(root, "users", "user", file, users);
        }

        var source = string.Join(Path.PathSeparator, files);
        if (currentContext is null)
            throw new KubeConfigException($"kubeconfig {source}: current-context is not set");
        if (!contexts.TryGetValue(currentContext, out var context))
            throw new KubeConfigException($"kubeconfig {source}: context '{currentContext}' is not defined");

        var clusterName = YamlFile.String(context.Body, "cluster", context.File)
            ?? throw new KubeConfigException($"kubeconfig {context.File}: context '{currentContext}' names no cluster");
        if (!clusters.TryGetValue(clusterName, out var cluster))
            throw new KubeConfigException($"kubeconfig {source}: cluster '{clusterName}' is not defined");

        Entry? user = null;
        var userName = YamlFile.String(context.Body, "user", context.File);
        if (!string.IsNullOrEmpty(userName) && !users.TryGetValue(userName, out user))
            throw new KubeConfigException($"kubeconfig {source}: user '{userName}' is not defined");

        var (certificate, token) = user is null ? (null, null) : ReadUser(user, userName!);
        return new ClusterConnection(
            ReadServer(cluster, clusterName),
            ReadAuthorities(cluster, clusterName),
            YamlFile.Bool(cluster.Body, "insecure-skip-tls-verify", cluster.File) ?? false,
            certificate,
            token,
            $"kubeconfig {source} (context {currentContext})");
    }

    private static YamlMappingNode? LoadRoot(string file)
    {
        try
        {
            return YamlFile.LoadRoot(File.ReadAllText(file), file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeConfigException($"cannot read kubeconfig {file}: {e.Message}", e);
        }
    }

    private static void Collect(YamlMappingNode root, string listKey, string bodyKey, string file, Dictionary<string, Entry> into)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
        foreach (var item in YamlFile.Sequence(root, listKey, file))
        {
            if (item is not YamlMappingNode map)
                throw new KubeConfigException($"kubeconfig {file}: every entry of '{listKey}' must be a mapping");
            var name = YamlFile.String(map, "name", file)
                ?? throw new KubeConfigException($"kubeconfig {file}: an entry of '{listKey}' has no name");
            var body = YamlFile.Mapping(map, bodyKey, file) ?? new YamlMappingNode();
            into.TryAdd(name, new Entry(body, directory, file));
        }
    }

    private static Uri ReadServer(Entry cluster, string name)
    {
        var server = YamlFile.String(cluster.Body, "server", cluster.File);
        if (string.IsNullOrEmpty(server) || !Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            throw new KubeConfigException($"kubeconfig {cluster.File}: cluster '{name}' has no valid https server URL (got '{server}')");
        return uri;
    }

    private static X509Certificate2Collection ReadAuthorities(Entry cluster, string name)
    {
        var pem = ReadPem(cluster, "certificate-authority-data", "certificate-authority", $"cluster '{name}' certificate authority");
        var collection = new X509Certificate2Collection();
        if (pem is null)
            return collection;
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            throw new KubeConfigException($"kubeconfig {cluster.File}: cluster '{name}' certificate authority is not valid PEM: {e.Message}", e);
        }
        if (collection.Count == 0)
            throw new KubeConfigException($"kubeconfig {cluster.File}: cluster '{name}' certificate authority holds no certificate");
        return collection;
    }

    private static (X509Certificate2?, BearerToken?) ReadUser(Entry user, string name)
    {
        if (YamlFile.Mapping(user.Body, "exec", user.File) is not null || YamlFile.Mapping(user.Body, "auth-provider", user.File) is not null)
            throw new KubeConfigException($"kubeconfig {user.File}: user '{name}' uses exec/auth-provider credentials, which crik and node-state-server do not support; use a token or client certificate");

        BearerToken? token = null;
        if (NullIfEmpty(YamlFile.String(user.Body, "token", user.File)) is { } fixedToken)
            token = BearerToken.Fixed(fixedToken);
        else if (NullIfEmpty(YamlFile.String(user.Body, "tokenFile", user.File)) is { } tokenFile)
            token = BearerToken.FromFile(Path.Combine(user.Directory, tokenFile));

        var certPem = ReadPem(user, "client-certificate-data", "client-certificate", $"user '{name}' client certificate");
        var keyPem = ReadPem(user, "client-key-data", "client-key", $"user '{name}' client key");
        if ((certPem is null) != (keyPem is null))
            throw new KubeConfigException($"kubeconfig {user.File}: user '{name}' needs both a client certificate and a client key");
        if (certPem is null)
            return (null, token);
        try
        {
            return (X509Certificate2.CreateFromPem(certPem, keyPem), token);
        }
        catch (CryptographicException e)
        {
            throw new KubeConfigException($"kubeconfig {user.File}: user '{name}' client certificate/key is not valid PEM: {e.Message}", e);
        }
    }

    /// <summary>The PEM text from the inline base64 key, else from the file key; null when neither is set.</summary>
    private static string? ReadPem(Entry entry, string dataKey, string fileKey, string what)
    {
        if (NullIfEmpty(YamlFile.String(entry.Body, dataKey, entry.File)) is { } data)
        {
            try
            {
                return Encoding.UTF8.GetString(Convert.FromBase64String(data));
            }
            catch (FormatException e)
            {
                throw new KubeConfigException($"kubeconfig {entry.File}: {what} ({dataKey}) is not valid base64", e);
            }
        }
        if (NullIfEmpty(YamlFile.String(entry.Body, fileKey, entry.File)) is not { } file)
            return null;
        var path = Path.Combine(entry.Directory, file);
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeConfigException($"kubeconfig {entry.File}: cannot read {what} file {path}: {e.Message}", e);
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
