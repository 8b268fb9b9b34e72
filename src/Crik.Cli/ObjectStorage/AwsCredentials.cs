namespace Crik.Cli.ObjectStorage;

/// <summary>An access key, its secret and, for temporary credentials, the session token and when they expire.</summary>
internal sealed record AwsCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken = null, DateTimeOffset? Expiration = null)
{
    /// <summary>Temporary credentials are renewed five minutes before they expire.</summary>
    public bool IsFresh(DateTimeOffset now) => Expiration is not { } expiration || now < expiration - TimeSpan.FromMinutes(5);

    public override string ToString() => $"access key {AccessKeyId}"; // never the secret
}
