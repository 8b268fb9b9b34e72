namespace Crik.Cli.ImageStore.Backends;

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
    /// <summary>The location of every committed, retired and set-aside generation, with its state: "" (committed), retired/ or set-aside/.</summary>
    public IEnumerable<(string Location, string State)> Generations() =>
        Committed.Select(g => (StoreLayout.CommittedName(g), ""))
            .Concat(Retired.Select(g => ($"{StoreLayout.RetiredDir}/{StoreLayout.CommittedName(g)}", StoreLayout.RetiredDir)))
            .Concat(SetAside.Select(n => ($"{StoreLayout.SetAsideDir}/{n}", StoreLayout.SetAsideDir)));
}
