using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Observing;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Where generations go that are never restored again: set-aside/ with the reason beside it (they cannot be restored, or
/// their restored pods keep dying), and retired/ (the app ended on its own after them); and the moves there that a crik
/// which died left half done.
/// </summary>
internal sealed class GenerationShelves(StoreStack store, ILogger log, GenerationReader reader)
{
    private readonly IStoreBackend _backend = store.Top;

    /// <summary>
    /// Durably retires every committed generation (the app ended on its own: it must not be brought
    /// back). One mark, written first, says so for all of them at once; the moves to retired/ after it
    /// only tidy up, and a crik that dies among them leaves nothing that can be restored. Returns how
    /// many were retired.
    /// </summary>
    public int RetireCommitted()
    {
        StoreListing listing = reader.List();
        long newest = listing.Committed.Concat(listing.HalfRetired).DefaultIfEmpty(0).Max();
        if (newest == 0)
        {
            return 0;
        }
        if (newest > listing.FinishedThrough)
        {
            WriteMark(StoreLayout.FinishedMarkName(newest), RestoreRecord.Describe(DateTimeOffset.UtcNow));
        }
        FinishRetiring(listing with { Committed = [], HalfRetired = [.. listing.Committed, .. listing.HalfRetired] });
        return listing.Committed.Count + listing.HalfRetired.Count;
    }

    /// <summary>
    /// Moves what counts as retired but is still at its committed name into retired/ (or drops the
    /// committed copy of one already there). Best effort: until it succeeds the mark keeps it retired.
    /// </summary>
    public void FinishRetiring(StoreListing listing)
    {
        foreach (long generation in Enumerable.Reverse(listing.HalfRetired))
        {
            string name = StoreLayout.CommittedName(generation);
            try
            {
                if (listing.Retired.Contains(generation))
                {
                    GenerationDeletion.Delete(_backend, name);
                }
                else
                {
                    GenerationMove.Move(_backend, name, $"{StoreLayout.RetiredDir}/{name}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.Warning("Checkpoint {Dir} counts as retired (the app ended on its own after it) but could not be moved to {Retired}: {Error}; "
                    + "it is never restored, and the next commit deletes it", reader.Display(name), StoreLayout.RetiredDir, e.Message);
            }
        }
    }

    /// <summary>Drops the committed copy of a generation whose move to set-aside/ was cut short after its copy; best effort (until then it is never restored).</summary>
    public void FinishSettingAside(StoreListing listing)
    {
        foreach (long generation in listing.HalfSetAside)
        {
            string name = StoreLayout.CommittedName(generation);
            try
            {
                GenerationDeletion.Delete(_backend, name);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.Warning("Checkpoint {Dir} is set aside but its committed copy could not be removed: {Error}; it is never restored, "
                    + "and the next commit deletes it", reader.Display(name), e.Message);
            }
        }
    }

    /// <summary>
    /// Moves a generation (or an unfinished staging area) below set-aside/ under a free name made from
    /// its own and the time, with the reason beside it; returns where it went. A reason file planted
    /// there is replaced, never written through.
    /// </summary>
    public string MoveToSetAside(string from, string reason)
    {
        HashSet<string> taken = reader.ReadListing().SetAsideTaken.ToHashSet(StringComparer.Ordinal);
        string name = from.Split('/')[^1];
        string target = StoreLayout.SetAsideName(name, 1);
        for (int attempt = 2; taken.Contains(target); attempt++)
        {
            target = StoreLayout.SetAsideName(name, attempt);
        }
        string location = $"{StoreLayout.SetAsideDir}/{target}";
        GenerationMove.Move(_backend, from, location);
        store.Node.MakePrivate(location); // what is set aside may come from anyone (a planted or unfinished directory)
        string reasonFile = $"{location}/{StoreLayout.SetAsideReasonFile}";
        byte[] content = System.Text.Encoding.UTF8.GetBytes(reason + "\n");
        if (!TryWriteReason(reasonFile, content))
        {
            log.Warning("Set {Dir} aside, but could not write why beside it: {Reason}", reader.Display(location), reason);
        }
        // Each caller says it in its own words: a warning while choosing, or the failed restore's line.
        LoggedHappenings.WithoutLine(new Happening.CheckpointSetAside(reader.Display(from), reason, reader.Display(location)));
        return reader.Display(location);
    }

    /// <summary>
    /// Writes why a generation was set aside beside it, once it is moved; false when it could not. Only a note: a full or
    /// failing disk must not hide that the generation is set aside already, nor the reason the caller goes on to log.
    /// </summary>
    private bool TryWriteReason(string reasonFile, byte[] content)
    {
        try
        {
            if (_backend.WriteIfAbsent(reasonFile, content))
            {
                return true;
            }
            _backend.Delete(reasonFile); // planted by whoever made it unrestorable (a link, perhaps): replaced, never written through
            return _backend.WriteIfAbsent(reasonFile, content);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Writes a new mark (restores/NAME), durably; false when another of that name exists. One that holds
    /// <paramref name="content"/> is this one: object storage may carry out a request whose answer was lost, and the request
    /// sent again then finds what it wrote.
    /// </summary>
    public bool WriteMark(string name, string content)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(content);
        string path = StoreLayout.MarkPath(name);
        return _backend.WriteIfAbsent(path, bytes) || _backend.Holds(path, bytes);
    }
}
