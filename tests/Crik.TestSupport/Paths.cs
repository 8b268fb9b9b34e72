namespace Crik.TestSupport;

/// <summary>Where the built binaries and the test apps are.</summary>
public static class Paths
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The crik apphost built with this test run (the ProjectReference builds it).</summary>
    public static string Crik { get; } = Environment.GetEnvironmentVariable("CRIK_BIN")
        ?? Path.Combine(RepositoryRoot, "artifacts", "bin", "Crik.Cli", Configuration, "crik");

    /// <summary>The Debug build of crik (JIT), the only one with the fault seam (CRIK_FAULT) compiled in.</summary>
    public static string CrikDebug { get; } = Path.Combine(RepositoryRoot, "artifacts", "bin", "Crik.Cli", "debug", "crik");

    /// <summary>The built server; NODE_STATE_SERVER_BINARY points the tests at another build (e.g. a trimmed publish).</summary>
    public static string NodeStateServer =>
        Environment.GetEnvironmentVariable("NODE_STATE_SERVER_BINARY") is { Length: > 0 } other
            ? other
            : Path.Combine(RepositoryRoot, "artifacts", "bin", "Crik.NodeStateServer", Configuration, "node-state-server");

    public static string Chart => Path.Combine(RepositoryRoot, "charts", "node-state-server");

    /// <summary>A test app copied next to the test assembly (tests/*/Apps).</summary>
    public static string App(string name) => Path.Combine(AppContext.BaseDirectory, "Apps", name);

#if DEBUG
    private const string Configuration = "debug";
#else
    private const string Configuration = "release";
#endif

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Crik.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("cannot find the repository root (Crik.slnx) above " + AppContext.BaseDirectory);
    }
}
