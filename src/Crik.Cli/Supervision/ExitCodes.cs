using Crik.Cli.Processes;
namespace Crik.Cli.Supervision;

/// <summary>
/// Every exit code crik chooses. The app's own code passes through unchanged; the rest are crik's.
/// </summary>
internal static class ExitCodes
{
    /// <summary>The app checkpointed and stopped by CRIU; its work continues in the next pod.</summary>
    public const int Checkpointed = 0;

    /// <summary>Bad command line or configuration: nothing was started.</summary>
    public const int UsageError = 2;

    /// <summary><c>crik check</c> found something that stops checkpoints in this container.</summary>
    public const int CheckFoundProblems = 1;

    /// <summary><c>crik images --verify</c> found a committed generation that fails verification.</summary>
    public const int CommittedGenerationFailsVerification = 1;

    /// <summary>crik itself failed (e.g. a restore failed with onRestoreFailure: fail).</summary>
    public const int CrikFailure = 125;

    /// <summary>The command exists but cannot be executed (permissions, not a program).</summary>
    public const int CommandNotExecutable = 126;

    /// <summary>The command was not found.</summary>
    public const int CommandNotFound = 127;

    /// <summary>
    /// The reader of stdout closed it before help or a listing was written (<c>| head</c>): 141, as for a program that SIGPIPE
    /// killed, which is what that would have done to crik had the runtime not ignored SIGPIPE.
    /// </summary>
    public const int OutputClosed = 128 + 13;

    /// <summary>127 when the command does not exist, 126 when it exists but cannot run (as a shell reports it).</summary>
    public static int FromSpawnFailure(SpawnException failure) =>
        failure.NotFound ? CommandNotFound : CommandNotExecutable;

    /// <summary>The app's exit code, or 128+N when signal N killed it (as a shell reports it).</summary>
    public static int FromWaitStatus(WaitStatus status) =>
        status.Exited ? status.ExitCode : 128 + (int)status.TermSignal;
}
