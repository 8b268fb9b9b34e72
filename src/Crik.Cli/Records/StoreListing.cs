namespace Crik.Cli.Records;

/// <summary>
/// What an image directory holds, read at once. <see cref="Newest"/> counts everything that names a
/// generation (committed, staged, retired, set aside, a pack), so a new generation never reuses a number.
/// </summary>
/// <param name="Committed">Committed generations, newest first.</param>
/// <param name="SetAside">Names below set-aside/.</param>
/// <param name="Unfinished">Staging areas a crik that stopped mid-dump left visible (a volume's .staging-*).</param>
/// <param name="Marks">Names below restores/.</param>
internal sealed record StoreListing(List<long> Committed, List<long> Retired, List<string> SetAside, List<string> Unfinished,
    List<long> Packs, List<string> Marks, long Newest)
{
    /// <summary>
    /// Generations still at their committed name that count as retired: the app ended on its own after
    /// them (a finished mark covers them), or a move to retired/ was cut short after its copy. Newest first.
    /// </summary>
    public List<long> HalfRetired { get; init; } = [];

    /// <summary>Every name below set-aside/, generation or not: a new set-aside name must be none of them.</summary>
    public List<string> SetAsideTaken { get; init; } = [];

    /// <summary>CRIU's logs in logs/.</summary>
    public List<StoredLog> Logs { get; init; } = [];

    /// <summary>The newest generation a finished mark covers (the app ended on its own after it), or 0.</summary>
    public long FinishedThrough => Marks.Select(StoreLayout.ParseFinishedMark).DefaultIfEmpty(0).Max();

    /// <summary>
    /// Generations still at their committed name that are also in set-aside/: a move there (in object
    /// storage, a copy and then a delete) was cut short after its copy. Never restorable.
    /// </summary>
    public List<long> HalfSetAside { get; init; } = [];

    /// <summary>
    /// This listing as the lifecycle reads it: a committed generation that a finished mark covers, or
    /// that is in retired/ as well, is <see cref="HalfRetired"/>; one that is in set-aside/ as well is
    /// <see cref="HalfSetAside"/>. Neither is ever restorable. Where a move is one rename
    /// (<paramref name="movesAreRenames"/>: a volume), no move is ever cut short: a copy in retired/ or set-aside/ is
    /// someone's copy, and the committed generation stays committed.
    /// </summary>
    public StoreListing Settled(bool movesAreRenames = false)
    {
        long finished = FinishedThrough;
        var retired = movesAreRenames ? [] : Retired.ToHashSet();
        var setAside = movesAreRenames ? [] : SetAside.Select(StoreLayout.ParseGeneration).ToHashSet();
        List<long> halfRetired = Committed.Where(g => g <= finished || retired.Contains(g)).ToList();
        List<long> halfSetAside = Committed.Except(halfRetired).Where(setAside.Contains).ToList();
        return halfRetired.Count + halfSetAside.Count == 0 ? this
            : this with { Committed = Committed.Except(halfRetired).Except(halfSetAside).ToList(), HalfRetired = halfRetired, HalfSetAside = halfSetAside };
    }

    /// <summary>The location of every committed, retired and set-aside generation, with its state: "" (committed), retired/ or set-aside/.</summary>
    public IEnumerable<(string Location, string State)> Generations() =>
        Committed.Select(g => (StoreLayout.CommittedName(g), ""))
            .Concat(HalfRetired.Where(g => !Retired.Contains(g)).Select(g => (StoreLayout.CommittedName(g), StoreLayout.RetiredDir)))
            .Concat(Retired.Select(g => ($"{StoreLayout.RetiredDir}/{StoreLayout.CommittedName(g)}", StoreLayout.RetiredDir)))
            .Concat(SetAside.Select(n => ($"{StoreLayout.SetAsideDir}/{n}", StoreLayout.SetAsideDir)));
}
