using Crik.Cli.Interop;

namespace Crik.Cli.Records;

/// <summary>
/// One entry below the image directory as a backend lists it: its key (<c>retired/checkpoint-000003</c>,
/// <c>checkpoint-000007/manifest.json</c>), what it is (an object in object storage is a regular file)
/// and when it was last written.
/// </summary>
internal sealed record StoredEntry(string Key, FileKind Kind, DateTimeOffset Modified)
{
    public string[] Parts => Key.Split('/');
}

/// <summary>
/// What one key names, as a backend describes it without following a link: what it is, its size, and on a
/// volume who owns it, its group and its mode (object storage has none of them: an object is a regular file of no owner).
/// </summary>
internal sealed record StoredStatus(FileKind Kind, long Size, uint? Owner = null, UnixFileMode? Mode = null, uint? Group = null);
