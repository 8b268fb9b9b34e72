namespace Crik.Cli.Criu;

/// <summary>A mount the container runtime bind-mounts, which CRIU must treat as external.</summary>
/// <param name="Path">Where it is mounted, e.g. /dev/null.</param>
/// <param name="Key">The name it has in the images, e.g. null.</param>
internal sealed record ExternalMount(string Path, string Key);
