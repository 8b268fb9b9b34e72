namespace Crik.Cli.Records;

/// <summary>
/// The state of the lock crik holds on the image directory for the app's life, as one value that the lease's watchdog, the
/// fenced backend and the restore read alike. A volume's flock is always <see cref="Held"/>; a lease's state comes from
/// what its holder saw of it (<c>Decisions.LeaseHold</c>).
/// </summary>
internal enum HoldState
{
    /// <summary>Ours: the app runs, and writes go to the store.</summary>
    Held,

    /// <summary>Its renewals are failing and it is in doubt: the app is frozen, and writes still land before anyone may take it over.</summary>
    Endangered,

    /// <summary>In doubt past the time after which a write could land under another holder: the app stays frozen, and nothing is written.</summary>
    Fenced,

    /// <summary>Another holder has it, or the doubt lasted leaseDoubtLimit: the app is killed, and it never becomes ours again.</summary>
    Lost,
}
