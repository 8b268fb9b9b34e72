using System.Net.Sockets;
using System.Text;
using Crik.Cli.Control;
using Crik.Cli.Logging;

namespace Crik.Cli.Commands;

/// <summary>
/// <c>crik checkpoint [--exit]</c>: asks the crik running the app (PID 1 of this container) for a
/// checkpoint now, waits until it is committed, and says which generation it is, how big and how long.
/// </summary>
internal static class CheckpointCommand
{
    public const int NotTaken = 1;

    public static int Execute(bool exit)
    {
        string path = ControlSocket.Path;
        if (ControlSocket.Problem(path) is { } problem)
        {
            return Fail(problem);
        }
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e)
        {
            return Fail($"no crik is listening at {path} ({e.Message}): run this in a container whose PID 1 is crik run"
                + $" (set {ControlSocket.PathVariable} if it listens elsewhere)");
        }
        string? answer;
        try
        {
            socket.Send(Encoding.UTF8.GetBytes((exit ? ControlSocket.CheckpointAndExit : ControlSocket.Checkpoint) + "\n"));
            answer = ControlServer.ReadLineAsync(socket).GetAwaiter().GetResult();
        }
        catch (SocketException e)
        {
            return Fail($"the connection to crik at {path} broke: {e.Message}");
        }
        // "committed GENERATION SECONDS SIZE" or "error WHY".
        string[] parts = (answer ?? "").Split(' ', 4);
        if (parts is ["committed", var generation, var seconds, var size])
        {
            StandardStreams.Output.WriteLine($"Checkpoint {generation} committed in {seconds} s: {size}{(exit ? "; the app is stopped and crik exits" : "")}");
            return 0;
        }
        return Fail(answer is null ? "crik closed the connection without an answer" : answer.StartsWith("error ", StringComparison.Ordinal) ? answer[6..] : answer);
    }

    private static int Fail(string message)
    {
        StandardStreams.Error.WriteLine($"crik checkpoint: {message}");
        return NotTaken;
    }
}
