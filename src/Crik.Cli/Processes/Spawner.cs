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
        Errno error = PosixSpawn.TrySpawn(request.Command, Environment(request.Setting), request.NewSession, request.NullStdin,
            request.OutputPath, out int pid, request.Inherited?.Select(h => (int)h.DangerousGetHandle()).ToList());
        if (error == Errno.None)
        {
            return pid;
        }
        string program = request.Command[0];
        // posix_spawnp looks a bare name up on crik's own PATH (the C library's default without one), not the child's.
        string path = System.Environment.GetEnvironmentVariable("PATH") ?? "/bin:/usr/bin";
        // With an output file, ENOENT may be its directory's (a file action of posix_spawn), not the program's.
        throw new SpawnException(program, error, error == Errno.ENOENT && request.OutputPath is null ? MissingInterpreter.Of(program, path) : null);
    }

    /// <summary>crik's environment, with <paramref name="setting"/>'s variables in place of its own.</summary>
    private static List<string> Environment(IReadOnlyDictionary<string, string>? setting)
    {
        var environment = new List<string>();
        foreach (System.Collections.DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            if (setting is null || !setting.ContainsKey((string)entry.Key))
            {
                environment.Add($"{entry.Key}={entry.Value}");
            }
        }
        environment.AddRange(setting?.Select(v => $"{v.Key}={v.Value}") ?? []);
        return environment;
    }
}
