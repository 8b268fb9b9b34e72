namespace Crik.NodeStateServer.Tests.Support;

internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The built server; NODE_STATE_SERVER_BINARY points the tests at another build (e.g. a trimmed publish).</summary>
    public static string ServerBinary =>
        Environment.GetEnvironmentVariable("NODE_STATE_SERVER_BINARY") is { Length: > 0 } other
            ? other
            : Path.Combine(Root, "artifacts", "bin", "Crik.NodeStateServer", "debug", "node-state-server");

    public static string Chart => Path.Combine(Root, "charts", "node-state-server");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Crik.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException("cannot find the repository root (Crik.slnx) above " + AppContext.BaseDirectory);
    }
}
