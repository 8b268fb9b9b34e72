namespace Crik.Cli.LazyPages;

/// <summary>What kills a lazily restored app whose memory cannot all arrive: it must never read a page that did not.</summary>
internal interface IAppKiller
{
    /// <summary>Kills whatever of the app runs, with the reason; called before crik lets go of its memory.</summary>
    void KillApp(string why);
}
