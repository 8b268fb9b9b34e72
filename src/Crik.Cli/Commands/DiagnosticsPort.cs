using System.Globalization;
using System.Runtime.CompilerServices;
using Crik.Cli.Processes;

namespace Crik.Cli.Commands;

/// <summary>
/// Keeps crik's own .NET diagnostics port out of reach. Through that socket anyone in the pod could
/// dump crik's memory or set environment variables that the app would then inherit.
/// </summary>
/// <remarks>
/// The NativeAOT build has no diagnostics server at all (EventSourceSupport=false links EventPipe's
/// disabled stub; see Crik.Cli.csproj). The JIT runtime starts one before Main, and the only switch
/// that stops it is the DOTNET_EnableDiagnostics environment variable (it has no runtimeconfig.json
/// setting), which crik cannot set for itself without also handing it to the app. So on the JIT runtime
/// crik unlinks its socket, /tmp/dotnet-diagnostic-PID-STARTTIME-socket: nothing can connect to it any
/// more and nothing is left behind in /tmp.
/// </remarks>
internal static class DiagnosticsPort
{
    public static void RemoveSocket()
    {
        if (!RuntimeFeature.IsDynamicCodeSupported)
        {
            return;
        }
        try
        {
            if (SocketPath() is { } socket)
            {
                File.Delete(socket);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a port crik cannot remove still does not stop crik from doing its job.
        }
    }

    /// <summary>The runtime names the socket after the PID and the process's start time (<see cref="ProcessStart"/>).</summary>
    private static string? SocketPath()
    {
        if (!ulong.TryParse(ProcessStart.OfSelf(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong startTime))
        {
            return null;
        }
        string directory = Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } tmp ? tmp : "/tmp";
        return Path.Combine(directory, $"dotnet-diagnostic-{Environment.ProcessId}-{startTime}-socket");
    }
}
