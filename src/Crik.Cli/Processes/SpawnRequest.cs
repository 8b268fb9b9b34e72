namespace Crik.Cli.Processes;

/// <summary>What to start and how.</summary>
/// <param name="Command">The program (looked up on PATH when it has no slash) and its arguments.</param>
/// <param name="NewSession">Start it in a new session and process group (setsid).</param>
/// <param name="OutputPath">Send stdout and stderr to this file instead of crik's own.</param>
/// <param name="NullStdin">Give it a /dev/null opened here as stdin, never a descriptor from outside
/// the container's mounts (CRIU cannot dump one of those).</param>
/// <param name="Inherited">Descriptors of crik's the child gets as 3, 4, ... (every other descriptor is closed).</param>
/// <param name="Setting">Environment variables the child gets in place of crik's own (the program is still looked up on crik's PATH).</param>
internal sealed record SpawnRequest(IReadOnlyList<string> Command, bool NewSession = false, string? OutputPath = null,
    bool NullStdin = true, IReadOnlyList<Microsoft.Win32.SafeHandles.SafeFileHandle>? Inherited = null,
    IReadOnlyDictionary<string, string>? Setting = null);
