
namespace Crik.Cli.Records;

/// <summary>A committed generation whose manifest and files verified.</summary>
/// <param name="Name">Its name in the image directory, e.g. checkpoint-000007.</param>
/// <param name="Directory">Where it is, for messages.</param>
internal sealed record CommittedCheckpoint(string Name, string Directory, Manifest Manifest)
{
    /// <summary>Its earlier restores, oldest first.</summary>
    public IReadOnlyList<RestoreRecord> Restores { get; init; } = [];
}
