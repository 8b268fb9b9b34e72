namespace Crik.Cli.Tests.Support;

/// <summary>Where the built binaries and the test apps are.</summary>
internal static class Paths
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The crik apphost built with this test run (the ProjectReference builds it).</summary>
    public static string Crik { get; } = Environment.GetEnvironmentVariable("CRIK_BIN")
        ?? Path.Combine(RepositoryRoot, "artifacts", "bin", "Crik.Cli", Configuration, "crik");

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
