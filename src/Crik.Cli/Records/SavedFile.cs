
namespace Crik.Cli.Records;

/// <summary>
/// One saved additional path (or an entry below one) and what a faithful put-back restores: kind,
/// owner, group, mode and times. The copy in extra-files/ is private (0600), so these live here.
/// </summary>
/// <param name="Kind">"file", "directory" or "link".</param>
/// <param name="LinkTarget">What a link points to (links are saved as links, never followed).</param>
internal sealed record SavedFile(string Path, string Kind, int Mode, uint Uid, uint Gid, DateTimeOffset Accessed,
    DateTimeOffset Modified, string? LinkTarget = null)
{
    public const string File = "file", Directory = "directory", Link = "link";
}
