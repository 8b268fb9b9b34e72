namespace Crik.Cli.ImageStore.Backends;

/// <summary>An upload (<see cref="IStoreBackend.CreateUpload"/>) that was started and never completed nor aborted: a dump killed mid-upload.</summary>
/// <param name="Key">Where its blob would be once complete (<c>packs/000007.pack</c>).</param>
/// <param name="Id">The store's name for it (a multipart upload's id).</param>
/// <param name="Started">When the store says it began.</param>
internal sealed record UnfinishedUpload(string Key, string Id, DateTimeOffset Started);
