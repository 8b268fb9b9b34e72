namespace Crik.Cli.Configuration;

/// <summary>
/// Where in object storage crik keeps images: <c>s3://bucket/prefix</c>. The prefix is empty or ends
/// with one slash, so object keys are the prefix followed by the names crik uses on a volume.
/// </summary>
internal sealed record S3Address(string Bucket, string Prefix)
{
    public const string Scheme = "s3://";

    public static bool IsS3(string imageDir) => imageDir.StartsWith(Scheme, StringComparison.Ordinal);

    /// <summary>Parses an <c>s3://</c> URL; throws <see cref="FormatException"/> saying what is wrong with it.</summary>
    public static S3Address Parse(string url)
    {
        if (!IsS3(url))
        {
            throw new FormatException($"\"{url}\" does not start with {Scheme}");
        }
        string rest = url[Scheme.Length..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        string bucket = slash < 0 ? rest : rest[..slash];
        string prefix = slash < 0 ? "" : rest[(slash + 1)..];
        if (!IsBucketName(bucket))
        {
            throw new FormatException($"\"{bucket}\" in {url} is not a bucket name (3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit)");
        }
        string trimmed = prefix.EndsWith('/') ? prefix[..^1] : prefix;
        if (prefix.Length > 0 && trimmed.Split('/').Any(s => s.Length == 0 || s == "." || s == ".." || s.Any(char.IsControl)))
        {
            throw new FormatException($"the prefix \"{prefix}\" in {url} has an empty, \".\" or \"..\" part or a control character; use a plain path such as s3://{bucket}/crik/my-app");
        }
        if (prefix.Length > 0 && !prefix.EndsWith('/'))
        {
            prefix += "/";
        }
        return new S3Address(bucket, prefix);
    }

    /// <summary>The object key for a name crik uses below its image directory, e.g. <c>packs/000001.pack</c>.</summary>
    public string Key(string name) => Prefix + name;

    public override string ToString() => $"{Scheme}{Bucket}/{Prefix}";

    private static bool IsBucketName(string name) =>
        name.Length is >= 3 and <= 63
        && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-')
        && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1])
        && !name.Contains("..", StringComparison.Ordinal);
}
