namespace Crik.Cli.Criu;

/// <summary>
/// Where a CRIU run works: a directory crik made and holds open (given as a /proc/PID/fd path, so a
/// link planted under the same name cannot redirect it) and the log's name inside it. CRIU writes its
/// log there; crik moves it into the image directory's logs/ afterwards.
/// </summary>
internal sealed record CriuWorkDir(string Path, string LogName)
{
    public string LogFile => $"{Path}/{LogName}";

    /// <summary>What criu printed on stdout and stderr, beside its log.</summary>
    public string ConsoleFile => LogFile + ".out";
}
