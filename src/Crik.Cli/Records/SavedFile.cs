
namespace Crik.Cli.Records;

/// <summary>
/// One saved additional path (or an entry below one) and what a faithful put-back restores: kind,
/// owner, group, mode, times and extended attributes. The copy in extra-files/ is private (0600), so these live here.
/// </summary>
/// <param name="Kind">"file", "directory" or "link".</param>
/// <param name="LinkTarget">What a link points to (links are saved as links, never followed).</param>
/// <param name="Attributes">
/// A file's or directory's extended attributes (ACLs, capabilities, user.* ones), name to base64 value; null when it had none,
/// or was saved before crik kept them.
/// </param>
internal sealed record SavedFile(string Path, string Kind, int Mode, uint Uid, uint Gid, DateTimeOffset Accessed,
    DateTimeOffset Modified, string? LinkTarget = null, IReadOnlyDictionary<string, string>? Attributes = null)
{
    public const string File = "file", Directory = "directory", Link = "link";
}
