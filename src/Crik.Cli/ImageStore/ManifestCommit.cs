using System.Text;
using Crik.Cli.Decisions;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// The commit of a store without directories (object storage): the manifest.hmac and then the manifest written, each
/// only if absent, after everything else of the generation (its pack, complete). A stale crik (its lease lost, a request
/// of its own landing late) never replaces a committed generation's.
/// </summary>
internal sealed class ManifestCommit(StoreStack store, ILogger log)
{
    /// <summary>How long crik asks whether a manifest whose write lost its answer reached the store.</summary>
    private static readonly TimeSpan ConfirmGrace = TimeSpan.FromSeconds(3);

    private IStoreBackend Backend => store.Top;

    /// <summary>Writes <paramref name="name"/>'s manifest last: the commit point. Throws only when the generation is not committed.</summary>
    public void Publish(long generation, string name, byte[] manifest, string? mac, Func<string?> whyNot)
    {
        if (whyNot() is { } reason)
        {
            throw new IOException(reason);
        }
        if (mac is not null)
        {
            byte[] macBody = Encoding.ASCII.GetBytes(mac + "\n");
            string macKey = $"{name}/{Manifest.MacFileName}";
            if (!Backend.WriteIfAbsent(macKey, macBody) && StoredIs(macKey, macBody) == false)
            {
                throw AnotherCommitted(generation, macKey);
            }
        }
        WriteManifest($"{name}/{Manifest.FileName}", manifest, generation);
    }

    /// <summary>
    /// Writes the manifest, only if there is none: the commit point. A request whose answer was lost (or that the
    /// store failed with a 5xx, <see cref="StoreFailures.MayHaveLanded"/>) may have been carried out all the same, so
    /// crik then reads the manifest back, with a few seconds of its own; what it means is <see cref="CommitAnswer"/>'s.
    /// A refusal (4xx) is an answer: the manifest is not there.
    /// </summary>
    private void WriteManifest(string key, byte[] json, long generation)
    {
        IOException? lost = null;
        try
        {
            if (Backend.WriteIfAbsent(key, json))
            {
                return;
            }
        }
        catch (IOException e) when (StoreFailures.MayHaveLanded(e))
        {
            lost = e;
        }
        Settle(key, json, lost, generation);
    }

    /// <summary>
    /// What a commit whose request failed (<paramref name="lost"/>: its answer may have been lost, the request carried out
    /// all the same) or was refused because <paramref name="key"/> was there (null) means, once crik has read back what the
    /// store holds there (<see cref="CommitAnswer"/>): returns when the generation is committed (or taken as committed),
    /// throws when it is not.
    /// </summary>
    public void Settle(string key, byte[] json, IOException? lost, long generation)
    {
        switch (CommitAnswer.Of(requestFailed: lost is not null, StoredIs(key, json)))
        {
            case CommitMeaning.Committed:
                log.Warning("The store's answer to the commit of {Key} was lost ({Error}), but the store holds it: the checkpoint is committed",
                    Display(key), lost?.Message ?? "a retry found it there");
                return;
            case CommitMeaning.NotCommitted:
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(lost!);
                return;
            case CommitMeaning.Superseded:
                throw AnotherCommitted(generation, key);
            default:
                log.Error("crik cannot tell whether the store holds the manifest {Key} ({Error}). It takes the checkpoint as committed, so that "
                    + "the app never runs twice: the next pod restores it if the store has it, else the newest one before it",
                    Display(key), lost?.Message ?? "the store has one, and did not say whose");
                return;
        }
    }

    /// <summary>Whether the store holds exactly <paramref name="body"/> at <paramref name="key"/>, asked with a few seconds of its own; null when it cannot tell.</summary>
    private bool? StoredIs(string key, byte[] body)
    {
        try
        {
            using IDisposable? grace = store.Within(ConfirmGrace);
            return Backend.Holds(key, body);
        }
        catch (IOException e) when (StoreFailures.SaysNothingOfTheEntry(e))
        {
            return null;
        }
    }

    private SupersededException AnotherCommitted(long generation, string key) =>
        new($"another crik committed generation {generation} ({Display(key)} is not the one this crik wrote), so this checkpoint is not committed");

    private string Display(string key) => $"{Backend.ImageDir.TrimEnd('/')}/{key}";
}
