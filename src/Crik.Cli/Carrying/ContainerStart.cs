namespace Crik.Cli.Carrying;

/// <summary>
/// When this crik started, which is when its container started: what the container's root file
/// system changed after this, the image did not bring. Read first thing in Program, before the app runs.
/// </summary>
internal static class ContainerStart
{
    public static DateTimeOffset Time { get; } = DateTimeOffset.UtcNow;
}
