using Crik.Cli.Interop;

namespace Crik.Cli.Processes;

/// <summary>Starts programs as crik's children, with crik's environment, through posix_spawn(3).</summary>
internal static class Spawner
{
    /// <summary>Starts the program; returns its PID or throws <see cref="SpawnException"/>.</summary>
    public static int Spawn(SpawnRequest request)
    {
        if (request.Command.Count == 0)
        {
            throw new ArgumentException("the command is empty", nameof(request));
        }
        Errno error = PosixSpawn.TrySpawn(request.Command, CurrentEnvironment(), request.NewSession, request.NullStdin,
            request.OutputPath, out int pid, request.Inherited?.Select(h => (int)h.DangerousGetHandle()).ToList());
        return error == Errno.None ? pid : throw new SpawnException(request.Command[0], error);
    }

    private static List<string> CurrentEnvironment()
    {
        var environment = new List<string>();
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            environment.Add($"{entry.Key}={entry.Value}");
        }
        return environment;
    }
}
